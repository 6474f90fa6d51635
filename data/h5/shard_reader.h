// Reading latent shards: the metadata of a shard without touching sample data (read_shard_info), one
// sample by index (ShardFile::read), every shard of a folder as one randomly accessible dataset with
// seeded cross-shard shuffling and bucket indices from metadata only (ShardDataset), the folder index
// (index.json) and verification for `vdf inspect`.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "data/h5/shard_format.h"

namespace vdf::data {

struct ShardRecord {
  torch::Tensor latents;    // [C, T', H', W'] stored dtype (float16 / bfloat16)
  torch::Tensor logvar;     // undefined unless stored and requested
  torch::Tensor text;       // [L, D]
  torch::Tensor text_mask;  // [L] bool
  torch::Tensor pooled;     // [Dp]
  SampleMeta meta;
};

struct ShardInfo {
  std::filesystem::path path;
  ShardHeader header;
  std::vector<SampleMeta> samples;
  std::vector<InputOutcome> inputs;
  int64_t file_bytes = 0;
};

// Attributes + /meta + /inputs; throws vdf::Error naming the file when it is not a complete vdf shard.
ShardInfo read_shard_info(const std::filesystem::path& path);

class ShardFile {
 public:
  explicit ShardFile(const std::filesystem::path& path);
  ~ShardFile();
  const ShardInfo& info() const { return info_; }
  int64_t size() const { return int64_t(info_.samples.size()); }
  ShardRecord read(int64_t index, bool with_logvar = false) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ShardInfo info_;
};

// The complete shards of a folder, in name order. Uses index.json when present (every listed shard must
// exist), otherwise scans for *.h5. A path to a single .h5 file yields just that file.
std::vector<std::filesystem::path> list_shards(const std::filesystem::path& dir_or_file);
// Rewrites <dir>/index.json (atomically, under an flock so concurrent ranks serialize) from the complete
// shards found in the folder. Returns the number of shards listed.
int64_t write_index(const std::filesystem::path& dir);

struct ShardDatasetOptions {
  std::optional<VaeIdentity> expected_vae;   // refuse shards of another VAE
  std::optional<TextIdentity> expected_text; // refuse shards of another text encoder
  bool with_logvar = false;
};

// Every sample of every shard of a folder (or a list of shard files), random access by global index.
class ShardDataset {
 public:
  explicit ShardDataset(const std::filesystem::path& dir_or_file, ShardDatasetOptions options = {});
  explicit ShardDataset(const std::vector<std::filesystem::path>& shards, ShardDatasetOptions options = {});
  int64_t size() const { return int64_t(entries_.size()); }
  ShardRecord get(int64_t index) const;               // thread-safe
  const SampleMeta& meta(int64_t index) const;        // metadata only
  std::string bucket_of(int64_t index) const;          // metadata only: latent "T'xH'xW'"
  std::string describe() const;
  // bucket key -> global indices in that bucket (ascending); built from metadata only.
  const std::map<std::string, std::vector<int64_t>>& buckets() const { return buckets_; }
  // A permutation of 0..size-1 across all shards, a pure function of (seed, epoch).
  std::vector<int64_t> shuffled(uint64_t seed, int64_t epoch = 0) const;
  const ShardHeader& header() const { return header_; }  // of the first shard (all agree)
  const std::vector<std::filesystem::path>& shard_paths() const { return paths_; }

 private:
  void open(const std::vector<std::filesystem::path>& shards);
  ShardDatasetOptions options_;
  ShardHeader header_;
  std::vector<std::filesystem::path> paths_;
  std::vector<std::unique_ptr<ShardFile>> files_;
  std::vector<std::pair<int32_t, int64_t>> entries_;  // (shard, local index)
  std::map<std::string, std::vector<int64_t>> buckets_;
  mutable std::mutex mutex_;
};

// Full verification of one shard: attributes, metadata columns, and for every sample its shape against
// the metadata, finite values, text/mask/pooled sizes, and the latent SHA-256. Problems are returned as
// sentences (empty = fine); unreadable files produce one problem rather than an exception.
struct ShardCheck {
  std::filesystem::path path;
  int64_t samples = 0;
  std::vector<std::string> problems;
};
ShardCheck verify_shard(const std::filesystem::path& path);

}  // namespace vdf::data
