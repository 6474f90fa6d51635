// SHA-1 (FIPS 180-4), header-only. Not for security: it exists to compute git blob ids
// (`git hash-object`: sha1 of "blob <size>\0" + bytes), by which public weight files that live in git
// repositories are identified (e.g. the I3D weights in ../shared/METRICS.md §5). SHA-256 and FNV-1a are in
// framework/core/hash.h.
#pragma once
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf {

class Sha1 {
 public:
  Sha1() : h_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0} {}

  void update(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    bits_ += uint64_t(size) * 8;
    while (size) {
      const size_t n = std::min(size, 64 - len_);
      std::memcpy(buf_ + len_, p, n);
      len_ += n, p += n, size -= n;
      if (len_ == 64) block(buf_), len_ = 0;
    }
  }

  // Finalizes; 40 lowercase hex characters.
  std::string hex_digest() {
    const uint64_t bits = bits_;
    const uint8_t pad = 0x80, zero = 0;
    update(&pad, 1);
    while (len_ != 56) update(&zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = uint8_t(bits >> (56 - 8 * i));
    update(len, 8);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (uint32_t v : h_)
      for (int s = 28; s >= 0; s -= 4) out.push_back(hex[(v >> s) & 15]);
    return out;
  }

 private:
  static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
  void block(const uint8_t* p) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(p[4 * i]) << 24) | (uint32_t(p[4 * i + 1]) << 16) | (uint32_t(p[4 * i + 2]) << 8) | p[4 * i + 3];
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
  }

  uint32_t h_[5];
  uint64_t bits_ = 0;
  uint8_t buf_[64];
  size_t len_ = 0;
};

// git blob id of a file, as `git hash-object FILE`. Streams the file; throws vdf::Error naming the path.
inline std::string git_blob_sha1(const std::filesystem::path& path) {
  Sha1 h;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  VDF_CHECK(!ec, "cannot read '{}'", path.string());
  const std::string header = "blob " + std::to_string(size) + std::string(1, '\0');
  h.update(header.data(), header.size());
  for_each_file_chunk(path, [&](const char* data, size_t n) { h.update(data, n); });
  return h.hex_digest();
}

}  // namespace vdf
