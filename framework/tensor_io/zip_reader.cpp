#include "framework/tensor_io/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "framework/core/error.h"

namespace vdf::tensor_io {

namespace {

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

constexpr uint32_t kEocd = 0x06054b50, kZip64Locator = 0x07064b50, kZip64Eocd = 0x06064b50,
                   kCentral = 0x02014b50, kLocal = 0x04034b50;
constexpr uint64_t kMaxEntries = 1u << 20;

}  // namespace

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string name)
    : data_(data), size_(size), name_(std::move(name)) {
  const std::string& where = name_;
  auto in = [&](uint64_t off, uint64_t len) { return off <= size_ && len <= size_ - off; };
  VDF_CHECK(size_ >= 22, "zip '{}': file is {} bytes, too short for a zip archive (truncated?)", where, size_);
  // End of central directory: the last signature within the final 64 KiB + 22 bytes.
  uint64_t eocd = UINT64_MAX;
  uint64_t lowest = size_ > 22 + 65535 ? size_ - 22 - 65535 : 0;
  for (uint64_t pos = size_ - 22 + 1; pos-- > lowest;) {
    if (le(data_ + pos, 4) == kEocd) {
      eocd = pos;
      break;
    }
  }
  VDF_CHECK(eocd != UINT64_MAX, "zip '{}': no end-of-central-directory record (not a zip file, or truncated)",
            where);
  uint64_t count = le(data_ + eocd + 10, 2);
  uint64_t cd_size = le(data_ + eocd + 12, 4);
  uint64_t cd_offset = le(data_ + eocd + 16, 4);
  if ((count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) && eocd >= 20 &&
      le(data_ + eocd - 20, 4) == kZip64Locator) {
    uint64_t z64 = le(data_ + eocd - 20 + 8, 8);
    VDF_CHECK(in(z64, 56) && le(data_ + z64, 4) == kZip64Eocd, "zip '{}': bad zip64 end-of-central-directory",
              where);
    count = le(data_ + z64 + 32, 8);
    cd_size = le(data_ + z64 + 40, 8);
    cd_offset = le(data_ + z64 + 48, 8);
  }
  VDF_CHECK(in(cd_offset, cd_size), "zip '{}': central directory [{}, +{}] is beyond the file ({} bytes; truncated?)",
            where, cd_offset, cd_size, size_);
  VDF_CHECK(count <= kMaxEntries && count * 46 <= cd_size, "zip '{}': central directory claims {} entries in {} bytes",
            where, count, cd_size);
  uint64_t pos = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    VDF_CHECK(pos + 46 <= cd_end && le(data_ + pos, 4) == kCentral, "zip '{}': corrupt central directory entry {}",
              where, i);
    const uint8_t* h = data_ + pos;
    ZipEntry e;
    e.method = static_cast<uint16_t>(le(h + 10, 2));
    e.compressed_size = le(h + 20, 4);
    e.size = le(h + 24, 4);
    uint64_t name_len = le(h + 28, 2), extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
    uint64_t local = le(h + 42, 4);
    VDF_CHECK(pos + 46 + name_len + extra_len + comment_len <= cd_end,
              "zip '{}': central directory entry {} runs past the directory", where, i);
    e.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
    // zip64 extended information: present fields replace the 0xFFFFFFFF placeholders, in order.
    const uint8_t* x = h + 46 + name_len;
    const uint8_t* x_end = x + extra_len;
    while (x + 4 <= x_end) {
      uint64_t id = le(x, 2), len = le(x + 2, 2);
      if (x + 4 + len > x_end) break;
      if (id == 0x0001) {
        const uint8_t* f = x + 4;
        const uint8_t* f_end = f + len;
        auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFF) return;
          VDF_CHECK(f + 8 <= f_end, "zip '{}': entry '{}': truncated zip64 extra field", where, e.name);
          field = le(f, 8);
          f += 8;
        };
        take(e.size);
        take(e.compressed_size);
        take(local);
      }
      x += 4 + len;
    }
    VDF_CHECK(in(local, 30) && le(data_ + local, 4) == kLocal, "zip '{}': entry '{}': bad local header offset {}",
              where, e.name, local);
    uint64_t lname = le(data_ + local + 26, 2), lextra = le(data_ + local + 28, 2);
    e.data_offset = local + 30 + lname + lextra;
    VDF_CHECK(in(e.data_offset, e.compressed_size),
              "zip '{}': entry '{}' data [{}, +{}] is beyond the file ({} bytes; truncated?)", where, e.name,
              e.data_offset, e.compressed_size, size_);
    VDF_CHECK(e.method == 0 || e.method == 8, "zip '{}': entry '{}' uses unsupported compression method {}", where,
              e.name, e.method);
    VDF_CHECK(e.method != 0 || e.compressed_size == e.size, "zip '{}': stored entry '{}' has size {} != {}", where,
              e.name, e.compressed_size, e.size);
    entries_.push_back(std::move(e));
    pos += 46 + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string_view ZipReader::read(const ZipEntry& e, std::string& scratch) const {
  const char* src = reinterpret_cast<const char*>(data_ + e.data_offset);
  if (e.method == 0) return std::string_view(src, e.size);
  // Deflate: the declared size must be plausible (deflate expands at most ~1032x) before allocating.
  VDF_CHECK(e.size / 1032 <= e.compressed_size + 1, "zip '{}': entry '{}' claims an absurd inflated size {}", name_,
            e.name, e.size);
  scratch.assign(e.size, '\0');
  z_stream zs{};
  VDF_CHECK(inflateInit2(&zs, -MAX_WBITS) == Z_OK, "zip '{}': zlib init failed", name_);
  uint64_t in_left = e.compressed_size, out_done = 0;
  const uint8_t* next_in = data_ + e.data_offset;
  int rc = Z_OK;
  while (rc == Z_OK) {
    uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
    uInt out_chunk = static_cast<uInt>(std::min<uint64_t>(e.size - out_done, 1u << 30));
    zs.next_in = const_cast<Bytef*>(next_in);
    zs.avail_in = in_chunk;
    zs.next_out = reinterpret_cast<Bytef*>(scratch.data() + out_done);
    zs.avail_out = out_chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    uint64_t used = in_chunk - zs.avail_in, made = out_chunk - zs.avail_out;
    next_in += used;
    in_left -= used;
    out_done += made;
    if (rc == Z_OK && used == 0 && made == 0) rc = Z_BUF_ERROR;
  }
  inflateEnd(&zs);
  VDF_CHECK(rc == Z_STREAM_END && out_done == e.size, "zip '{}': entry '{}': corrupt deflate data ({})", name_,
            e.name, zs.msg ? zs.msg : "size mismatch or truncated");
  return std::string_view(scratch.data(), scratch.size());
}

}  // namespace vdf::tensor_io
