// SHA-1 (FIPS 180-4), only for git blob ids of weight files (METRICS.md lists I3D weights by blob id).
#pragma once
#include <cstdint>
#include <string>

namespace vdf::eval {

class Sha1 {
 public:
  Sha1();
  void update(const void* data, size_t size);
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  uint32_t h_[5];
  uint64_t bits_ = 0;
  uint8_t buf_[64];
  size_t len_ = 0;
};

}  // namespace vdf::eval
