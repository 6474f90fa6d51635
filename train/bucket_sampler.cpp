#include "train/bucket_sampler.h"

#include <fmt/format.h>

#include "framework/core/error.h"

namespace vdf::train {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void deterministic_shuffle(std::vector<int64_t>& v, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(splitmix64(state) % i);
    std::swap(v[i - 1], v[j]);
  }
}

namespace {
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0xD6E8FEB86659FD93ull);
  return splitmix64(s);
}
uint64_t hash_string(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}
}  // namespace

void split_held_out(int64_t n, int64_t held_out_count, uint64_t seed, std::vector<int64_t>* train,
                    std::vector<int64_t>* held_out) {
  VDF_CHECK(held_out_count >= 0 && held_out_count < n,
            "cannot hold out {} of {} samples for validation (data.val_samples must be < dataset size)",
            held_out_count, n);
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i) all[i] = i;
  deterministic_shuffle(all, mix(seed, 0x5EEDull));
  held_out->assign(all.begin(), all.begin() + held_out_count);
  std::sort(held_out->begin(), held_out->end());
  train->assign(all.begin() + held_out_count, all.end());
  std::sort(train->begin(), train->end());
}

BucketBatchSampler::BucketBatchSampler(std::vector<int64_t> indices, std::vector<std::string> bucket_of,
                                       std::function<int64_t(const std::string&)> batch_size_of, uint64_t seed,
                                       int rank, int world_size)
    : batch_size_of_(std::move(batch_size_of)), seed_(seed), rank_(rank), world_size_(world_size) {
  VDF_CHECK(indices.size() == bucket_of.size(), "bucket sampler: {} indices but {} bucket keys", indices.size(),
            bucket_of.size());
  VDF_CHECK(world_size >= 1 && rank >= 0 && rank < world_size, "bucket sampler: bad rank {} of world size {}",
            rank, world_size);
  for (size_t i = 0; i < indices.size(); ++i) by_bucket_[bucket_of[i]].push_back(indices[i]);
  std::string sizes;
  for (const auto& [bucket, members] : by_bucket_) {
    const int64_t bs = batch_size_of_(bucket);
    VDF_CHECK(bs >= 1, "bucket '{}': batch size {} must be >= 1", bucket, bs);
    batches_per_epoch_ += static_cast<int64_t>(members.size()) / (bs * world_size_);
    sizes += fmt::format("{}'{}': {} samples, global batch {}", sizes.empty() ? "" : "; ", bucket, members.size(),
                         bs * world_size_);
  }
  VDF_CHECK(batches_per_epoch_ > 0,
            "no bucket has enough samples for one global batch (per-rank batch size x world size {}): {}",
            world_size_, sizes.empty() ? "no samples" : sizes);
}

std::vector<PlannedBatch> BucketBatchSampler::epoch_plan(int64_t epoch) const {
  std::vector<PlannedBatch> plan;
  const uint64_t epoch_seed = mix(seed_, static_cast<uint64_t>(epoch));
  for (const auto& [bucket, members] : by_bucket_) {
    std::vector<int64_t> order = members;
    deterministic_shuffle(order, mix(epoch_seed, hash_string(bucket)));
    const int64_t global = batch_size_of_(bucket) * world_size_;
    for (int64_t start = 0; start + global <= static_cast<int64_t>(order.size()); start += global)
      plan.push_back({bucket, std::vector<int64_t>(order.begin() + start, order.begin() + start + global)});
  }
  // Shuffle the batch order (an index permutation, so PlannedBatch needs no swap support).
  std::vector<int64_t> perm(plan.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
  deterministic_shuffle(perm, mix(epoch_seed, 0xBA7C4ull));
  std::vector<PlannedBatch> out;
  out.reserve(plan.size());
  for (int64_t p : perm) out.push_back(std::move(plan[p]));
  return out;
}

void BucketBatchSampler::set_position(const SamplerPosition& p) {
  VDF_CHECK(p.epoch >= 0 && p.batch >= 0 && p.batch <= batches_per_epoch_,
            "bucket sampler: position (epoch {}, batch {}) is outside an epoch of {} batches "
            "(did the dataset or batch sizes change since the checkpoint?)",
            p.epoch, p.batch, batches_per_epoch_);
  position_ = p;
}

std::vector<int64_t> BucketBatchSampler::next(std::string* bucket) {
  if (position_.batch >= batches_per_epoch_) {
    position_.epoch += 1;
    position_.batch = 0;
  }
  if (plan_epoch_ != position_.epoch) {
    plan_ = epoch_plan(position_.epoch);
    plan_epoch_ = position_.epoch;
  }
  const PlannedBatch& b = plan_[position_.batch];
  position_.batch += 1;
  const int64_t bs = batch_size_of_(b.bucket);
  if (bucket) *bucket = b.bucket;
  return std::vector<int64_t>(b.indices.begin() + rank_ * bs, b.indices.begin() + (rank_ + 1) * bs);
}

}  // namespace vdf::train
