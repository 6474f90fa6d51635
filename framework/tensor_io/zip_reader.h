// A small read-only zip reader for PyTorch archives (.pth/.pt): central directory (zip64 when needed),
// stored and deflate entries (zlib). Treats the bytes as hostile: every offset and size is checked
// against the buffer, and inflated sizes must match the directory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vdf::tensor_io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;             // 0 stored, 8 deflate
  uint64_t compressed_size = 0;
  uint64_t size = 0;               // uncompressed
  uint64_t data_offset = 0;        // of the (compressed) data in the archive
};

class ZipReader {
 public:
  // `data` must outlive the reader. `name` appears in error messages. Throws vdf::Error.
  ZipReader(const uint8_t* data, size_t size, std::string name);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;
  // Stored entries: a view into the archive. Deflate entries: inflated into `scratch`, which the view
  // then points into.
  std::string_view read(const ZipEntry& entry, std::string& scratch) const;
  const std::string& name() const { return name_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string name_;
  std::vector<ZipEntry> entries_;
};

}  // namespace vdf::tensor_io
