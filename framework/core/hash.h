// Hashes used across vdf: SHA-256 (weights files, content hashes recorded in shards and reports) and
// FNV-1a 64 (cheap keys; also the seed function of the golden test-weight recipe).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace vdf {

uint64_t fnv1a64(std::string_view bytes);

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finalizes; 64 lowercase hex characters

 private:
  void transform(const uint8_t* block);
  uint32_t state_[8];
  uint64_t bit_count_ = 0;
  uint8_t buffer_[64];
  size_t buffer_len_ = 0;
};

std::string sha256_hex(std::string_view bytes);
// Streams the file; throws vdf::Error naming the path.
std::string sha256_file(const std::filesystem::path& path);
// Streams a file to `consume` in 1 MiB chunks (the loop every file hash shares); throws vdf::Error naming
// the file when it cannot be opened.
void for_each_file_chunk(const std::filesystem::path& path, const std::function<void(const char*, size_t)>& consume);

}  // namespace vdf
