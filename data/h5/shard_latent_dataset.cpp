#include "data/h5/shard_latent_dataset.h"

namespace vdf::data {

ShardLatentDataset::ShardLatentDataset(const std::filesystem::path& dir_or_file, ShardDatasetOptions options)
    : shards_(dir_or_file, std::move(options)) {}

LatentSample ShardLatentDataset::get(int64_t index) const {
  ShardRecord r = shards_.get(index);
  LatentSample s;
  s.latents = r.latents.to(torch::kFloat32);
  s.text = r.text.to(torch::kFloat32);
  s.text_mask = r.text_mask.to(torch::kBool);
  s.pooled = r.pooled.to(torch::kFloat32);
  s.bucket = shards_.bucket_of(index);
  s.caption = r.meta.caption;
  return s;
}

}  // namespace vdf::data
