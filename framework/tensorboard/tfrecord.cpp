#include "framework/tensorboard/tfrecord.h"

#include <cstring>

#include "framework/core/atomic_file.h"
#include "framework/tensorboard/crc32c.h"

namespace vdf::tensorboard {

namespace {
void tfrecord_put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
uint64_t tfrecord_get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
}  // namespace

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  tfrecord_put_le(out, data.size(), 8);
  tfrecord_put_le(out, mask_crc(crc32c(out.data(), 8)), 4);
  out.append(data.data(), data.size());
  tfrecord_put_le(out, masked_crc32c(data), 4);
  return out;
}

RecordFile parse_records(std::string_view bytes) {
  RecordFile f;
  size_t pos = 0;
  while (bytes.size() - pos >= 16) {  // the smallest record: empty data
    const char* p = bytes.data() + pos;
    if (static_cast<uint32_t>(tfrecord_get_le(p + 8, 4)) != mask_crc(crc32c(p, 8))) break;
    const uint64_t len = tfrecord_get_le(p, 8);
    if (len > bytes.size() - pos - 16) break;  // torn: the data or its checksum is missing
    std::string_view data = bytes.substr(pos + 12, len);
    if (static_cast<uint32_t>(tfrecord_get_le(p + 12 + len, 4)) != masked_crc32c(data)) break;
    f.records.emplace_back(data);
    pos += 16 + len;
  }
  f.valid_bytes = pos;
  f.dropped_bytes = bytes.size() - pos;
  return f;
}

RecordFile read_records(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  return parse_records(read_file(path));
}

}  // namespace vdf::tensorboard
