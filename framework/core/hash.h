// Hashes used across vdf: SHA-256 (weights files, content hashes recorded in shards and reports), SHA-1
// (git blob ids of weight files kept in git repositories) and FNV-1a 64 (cheap keys; also the seed
// function of the golden test-weight recipe). SHA-1/SHA-256 are OpenSSL's EVP digests (libcrypto).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace vdf {

uint64_t fnv1a64(std::string_view bytes);

// An incremental digest (OpenSSL EVP). Not copyable; hex_digest() finalizes it.
class Digest {
 public:
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  ~Digest();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // lowercase hex

 protected:
  explicit Digest(const char* algorithm);  // an EVP digest name: "SHA256", "SHA1"

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

class Sha256 : public Digest {
 public:
  Sha256() : Digest("SHA256") {}  // hex_digest(): 64 characters
};

// Not for security: it exists to compute git blob ids (`git hash-object`: sha1 of "blob <size>\0" +
// bytes), by which public weight files that live in git repositories are identified.
class Sha1 : public Digest {
 public:
  Sha1() : Digest("SHA1") {}  // hex_digest(): 40 characters
};

std::string sha256_hex(std::string_view bytes);
// Streams the file; throws vdf::Error naming the path.
std::string sha256_file(const std::filesystem::path& path);
// git blob id of a file, as `git hash-object FILE`. Streams the file; throws vdf::Error naming the path.
std::string git_blob_sha1(const std::filesystem::path& path);
// Streams a file to `consume` in 1 MiB chunks (the loop every file hash shares); throws vdf::Error naming
// the file when it cannot be opened.
void for_each_file_chunk(const std::filesystem::path& path, const std::function<void(const char*, size_t)>& consume);

}  // namespace vdf
