// The latent shards of `vdf ingest` as the trainer's data::LatentDataset: a thin adapter over
// ShardDataset that converts stored fp16/bf16 latents to float32 and keeps the bucket keys
// ("T'xH'xW'" of the latent, from metadata only).
#pragma once
#include <filesystem>
#include <memory>

#include "data/dataset.h"
#include "data/h5/shard_reader.h"

namespace vdf::data {

class ShardLatentDataset : public LatentDataset {
 public:
  explicit ShardLatentDataset(const std::filesystem::path& dir_or_file, ShardDatasetOptions options = {});
  int64_t size() const override { return shards_.size(); }
  LatentSample get(int64_t index) const override;
  std::string bucket_of(int64_t index) const override { return shards_.bucket_of(index); }
  std::string describe() const override { return shards_.describe(); }
  std::optional<EncoderProvenance> provenance() const override;
  const ShardDataset& shards() const { return shards_; }

 private:
  std::filesystem::path source_;
  ShardDataset shards_;
};

}  // namespace vdf::data
