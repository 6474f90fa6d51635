#include "framework/image/png.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"

namespace vdf::image {

namespace {
void put_u32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  std::string td = std::string(type, 4) + data;
  out += td;
  put_u32(out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(td.data()), td.size())));
}
}  // namespace

std::string encode_png(const torch::Tensor& image) {
  VDF_CHECK(image.dim() == 3 && image.size(2) == 3 && image.scalar_type() == torch::kUInt8,
            "encode_png: expected a uint8 [H, W, 3] tensor, got {} {}", image.toString(),
            fmt::format("[{}]", fmt::join(image.sizes(), ", ")));
  auto img = image.to(torch::kCPU).contiguous();
  const int64_t h = img.size(0), w = img.size(1);
  VDF_CHECK(h > 0 && w > 0, "encode_png: empty image {}x{}", w, h);
  std::string raw;
  raw.reserve(static_cast<size_t>(h) * (w * 3 + 1));
  const auto* p = img.data_ptr<uint8_t>();
  for (int64_t y = 0; y < h; ++y) {
    raw.push_back('\0');  // filter: none
    raw.append(reinterpret_cast<const char*>(p + y * w * 3), static_cast<size_t>(w * 3));
  }
  uLongf bound = compressBound(raw.size());
  std::string z(bound, '\0');
  VDF_CHECK(compress2(reinterpret_cast<Bytef*>(z.data()), &bound, reinterpret_cast<const Bytef*>(raw.data()),
                      raw.size(), 6) == Z_OK,
            "encode_png: zlib compression failed");
  z.resize(bound);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(w));
  put_u32(ihdr, static_cast<uint32_t>(h));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", "");
  return out;
}

void write_png(const std::string& path, const torch::Tensor& image) {
  with_context(fmt::format("writing PNG '{}'", path), [&] { write_file_atomic(path, encode_png(image)); });
}

}  // namespace vdf::image
