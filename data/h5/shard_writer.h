// Writes one latent shard (docs/data-format.md). The file is created under a temporary name
// ("<final>.tmp-<pid>") and renamed to its final name only by finish(), after everything is written and
// fsync'd; a writer destroyed without finish() (exception, kill) leaves no file that looks complete.
// Samples may be added in any order (add(index, ...)) — the pipeline writes each batch as soon as it is
// encoded — but indices must end up dense 0..N-1.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/h5/shard_format.h"

namespace vdf::data {

struct ShardSampleData {
  SampleMeta meta;            // latent_sha256 / latent_shape are filled by the writer
  torch::Tensor latents;      // [C, T', H', W'] any float dtype; stored as header.latent_dtype
  torch::Tensor logvar;       // optional, same shape
  torch::Tensor text;         // [L, D]
  torch::Tensor text_mask;    // [L] bool
  torch::Tensor pooled;       // [Dp]
  int64_t share_text_with = -1;  // >= 0: reuse the text datasets of that (already added) sample (hard link)
};

class ShardWriter {
 public:
  // `gzip_level` > 0 compresses latents (shuffle + deflate, one chunk per sample).
  ShardWriter(std::filesystem::path final_path, ShardHeader header, int gzip_level = 0);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void add(int64_t index, const ShardSampleData& sample);
  // Writes the metadata columns, the input outcomes and the attributes, closes, fsyncs, renames.
  void finish(const std::vector<InputOutcome>& inputs);
  const std::filesystem::path& final_path() const { return final_path_; }
  const std::filesystem::path& temp_path() const { return temp_path_; }
  int64_t samples_added() const { return int64_t(meta_.size()); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path final_path_, temp_path_;
  ShardHeader header_;
  int gzip_level_;
  std::vector<std::optional<SampleMeta>> meta_;
  bool finished_ = false;
};

// Converts a tensor to the stored dtype ("float16" | "bfloat16") on CPU, contiguous.
torch::Tensor to_stored_dtype(const torch::Tensor& t, const std::string& dtype);
// SHA-256 of a contiguous CPU tensor's bytes.
std::string tensor_sha256(const torch::Tensor& t);

}  // namespace vdf::data
