#include "data/h5/shard_latent_dataset.h"

namespace vdf::data {

ShardLatentDataset::ShardLatentDataset(const std::filesystem::path& dir_or_file, ShardDatasetOptions options)
    : source_(dir_or_file), shards_(dir_or_file, std::move(options)) {}

std::optional<EncoderProvenance> ShardLatentDataset::provenance() const {
  const auto& h = shards_.header();
  EncoderProvenance p;
  p.source = source_.string();
  p.vae_name = h.vae.name;
  p.vae_weights_sha256 = h.vae.weights_sha256;
  p.vae_scale = h.vae.scale;
  p.vae_channel_shift = h.vae.channel_shift;
  p.vae_channel_scale = h.vae.channel_scale;
  p.text_name = h.text.name;
  p.text_weights_sha256 = h.text.weights_sha256;
  p.text_max_length = h.text.max_length;
  return p;
}

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
