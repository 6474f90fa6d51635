#include "data/synthetic_dataset.h"

#include <fmt/format.h>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::data {

SyntheticLatentDataset::SyntheticLatentDataset(const config::SyntheticDataConfig& config) : config_(config) {
  for (const auto& b : config_.buckets) shapes_.push_back(parse_bucket_key(b));
  VDF_CHECK(!shapes_.empty(), "synthetic dataset: no buckets");
}

std::string SyntheticLatentDataset::bucket_of(int64_t index) const {
  VDF_CHECK(index >= 0 && index < config_.size, "synthetic dataset: index {} out of range [0, {})", index,
            config_.size);
  return config_.buckets[index % config_.buckets.size()];
}

LatentSample SyntheticLatentDataset::get(int64_t index) const {
  const std::string bucket = bucket_of(index);
  const auto& shape = shapes_[index % shapes_.size()];
  const uint64_t seed = fnv1a64(fmt::format("synthetic:{}:{}", config_.seed, index));
  auto gen = at::detail::createCPUGenerator(seed);
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  LatentSample s;
  // Smooth-ish content: a per-channel offset plus noise, so a model has something to learn.
  auto offset = torch::randn({config_.channels, 1, 1, 1}, gen, opts);
  s.latents = offset + 0.5 * torch::randn({config_.channels, shape[0], shape[1], shape[2]}, gen, opts);
  s.text = torch::randn({config_.text_len, config_.text_dim}, gen, opts);
  const int64_t tokens = 1 + static_cast<int64_t>(seed % static_cast<uint64_t>(config_.text_len));
  s.text_mask = torch::arange(config_.text_len) < tokens;
  s.text = s.text * s.text_mask.unsqueeze(1).to(torch::kFloat32);
  s.pooled = torch::randn({config_.pooled_dim}, gen, opts);
  s.bucket = bucket;
  s.caption = fmt::format("synthetic sample {}", index);
  return s;
}

std::string SyntheticLatentDataset::describe() const {
  return fmt::format("synthetic: {} samples, seed {}, buckets [{}]", config_.size, config_.seed,
                     fmt::join(config_.buckets, ", "));
}

}  // namespace vdf::data
