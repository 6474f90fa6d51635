#include "framework/core/hash.h"

#include <openssl/evp.h>

#include <fstream>
#include <vector>

#include "framework/core/error.h"

namespace vdf {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void Digest::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Digest::Digest(const char* algorithm) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = EVP_get_digestbyname(algorithm);
  VDF_CHECK(ctx_ && md && EVP_DigestInit_ex(ctx_.get(), md, nullptr) == 1, "OpenSSL: cannot start a {} digest",
            algorithm);
}
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;
Digest::~Digest() = default;

void Digest::update(const void* data, size_t size) {
  VDF_CHECK(ctx_, "digest: update after hex_digest()");
  if (size) VDF_CHECK(EVP_DigestUpdate(ctx_.get(), data, size) == 1, "OpenSSL: digest update failed");
}

std::string Digest::hex_digest() {
  VDF_CHECK(ctx_, "digest: hex_digest() called twice");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  VDF_CHECK(EVP_DigestFinal_ex(ctx_.get(), md, &n) == 1, "OpenSSL: digest final failed");
  ctx_.reset();
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex_digest();
}

void for_each_file_chunk(const std::filesystem::path& path, const std::function<void(const char*, size_t)>& consume) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open '{}' to hash it", path.string());
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    consume(buf.data(), static_cast<size_t>(in.gcount()));
  }
}

std::string sha256_file(const std::filesystem::path& path) {
  Sha256 h;
  for_each_file_chunk(path, [&](const char* data, size_t n) { h.update(data, n); });
  return h.hex_digest();
}

std::string git_blob_sha1(const std::filesystem::path& path) {
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
