// An in-memory LatentDataset of random latents for tests and smoke runs: deterministic from a seed
// (sample i is generated from (seed, i) alone, on demand), several buckets (including 1-frame images),
// fixed-length text embeddings with a varying number of real tokens.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/config/data.h"

namespace vdf::data {

class SyntheticLatentDataset : public LatentDataset {
 public:
  explicit SyntheticLatentDataset(const config::SyntheticDataConfig& config);
  int64_t size() const override { return config_.size; }
  LatentSample get(int64_t index) const override;
  std::string bucket_of(int64_t index) const override;
  std::string describe() const override;

 private:
  config::SyntheticDataConfig config_;
  std::vector<std::vector<int64_t>> shapes_;  // parsed buckets
};

}  // namespace vdf::data
