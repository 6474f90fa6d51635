// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length (little endian) | uint32 masked CRC-32C of the 8 length bytes | data | uint32 masked CRC-32C of data
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace vdf::tensorboard {

// The framed bytes of one record.
std::string frame_record(std::string_view data);

struct RecordFile {
  std::vector<std::string> records;  // the data of every complete, checksum-valid record, in order
  size_t valid_bytes = 0;            // bytes of the file those records span
  size_t dropped_bytes = 0;          // a torn or corrupt tail after them (a killed writer), not read
};
// Reads every record of `path` up to the first torn or corrupt one (a missing file has none). Throws
// vdf::Error naming the path when it cannot be read.
RecordFile read_records(const std::filesystem::path& path);
// Parses records from bytes (same rules; `what` names the source in messages).
RecordFile parse_records(std::string_view bytes);

}  // namespace vdf::tensorboard
