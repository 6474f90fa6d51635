// Bucketed, deterministic, resumable, rank-aware batch sampler.
//
// Every epoch has a plan of global batches computed from (seed, epoch) alone: the indices of each bucket
// are shuffled, cut into global batches of batch_size(bucket) * world_size samples (an incomplete rest
// is dropped for this epoch), and the batches of all buckets are shuffled together — so image and video
// buckets mix in one run, every sample of a batch has the same shape, and every rank sees the same
// bucket in the same step (collectives never see different shapes). Rank r takes the r-th contiguous
// slice of batch_size(bucket) samples of each global batch; slices of different ranks are disjoint.
// The position (epoch, batch within epoch) is all the state there is: save it, restore it, and the
// sequence continues exactly.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vdf::train {

struct SamplerPosition {
  int64_t epoch = 0;
  int64_t batch = 0;  // index of the next batch within the epoch's plan
  bool operator==(const SamplerPosition& o) const { return epoch == o.epoch && batch == o.batch; }
};

struct PlannedBatch {
  std::string bucket;
  std::vector<int64_t> indices;  // global batch: world_size * per-rank batch size dataset indices
};

// A portable pseudo-random generator (splitmix64) and Fisher-Yates shuffle: the same sequence on every
// platform and standard library (std::shuffle is implementation-defined).
uint64_t splitmix64(uint64_t& state);
void deterministic_shuffle(std::vector<int64_t>& v, uint64_t seed);

// Splits [0, n) into (train, held_out): held_out are `held_out_count` indices picked by a seeded shuffle.
void split_held_out(int64_t n, int64_t held_out_count, uint64_t seed, std::vector<int64_t>* train,
                    std::vector<int64_t>* held_out);

class BucketBatchSampler {
 public:
  // `indices`: the dataset indices to draw from; `bucket_of`: their bucket keys (parallel to indices);
  // `batch_size_of`: per-rank batch size of a bucket.
  BucketBatchSampler(std::vector<int64_t> indices, std::vector<std::string> bucket_of,
                     std::function<int64_t(const std::string&)> batch_size_of, uint64_t seed, int rank = 0,
                     int world_size = 1);

  // This rank's part of the next batch; advances the position (crossing into the next epoch as needed).
  std::vector<int64_t> next(std::string* bucket = nullptr);
  SamplerPosition position() const { return position_; }
  void set_position(const SamplerPosition& p);
  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  // The full plan of global batches of one epoch (same on every rank).
  std::vector<PlannedBatch> epoch_plan(int64_t epoch) const;
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int64_t batch_size_of(const std::string& bucket) const { return batch_size_of_(bucket); }

 private:
  std::map<std::string, std::vector<int64_t>> by_bucket_;  // sorted by key: deterministic order
  std::function<int64_t(const std::string&)> batch_size_of_;
  uint64_t seed_;
  int rank_, world_size_;
  int64_t batches_per_epoch_ = 0;
  SamplerPosition position_;
  int64_t plan_epoch_ = -1;
  std::vector<PlannedBatch> plan_;  // cached plan of plan_epoch_
};

}  // namespace vdf::train
