// Data-parallel gradient synchronization (the C++ counterpart of PyTorch DDP's Reducer, on c10d):
//   * broadcast_parameters(): rank 0's parameters (and buffers you pass) copied to every rank at start;
//   * during backward, a post-hook on each parameter's gradient accumulator marks it ready; parameters are
//     grouped into buckets of at most bucket_mb (in reverse registration order, roughly the order backward
//     produces gradients), and a bucket's all-reduce is launched asynchronously as soon as it is full —
//     always in bucket index order, so every rank issues identical collectives (same count, order, shapes)
//     even when autograd finishes parameters in a different order;
//   * finish(): launches buckets not launched yet (parameters without a gradient count as zeros), waits for
//     all of them and writes the averaged gradients back into param.grad.
// The bucket layout depends only on the parameter list (shapes, dtypes, order), so it is identical on every
// rank; layout_hash() lets a test or the consistency check compare it.
// With world size 1 nothing is hooked and finish() is a no-op.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "framework/distributed/context.h"

namespace vdf::distributed {

struct BucketStats {
  int64_t steps = 0;
  double finish_wait_s = 0;  // time spent in finish() waiting for all-reduces (the exposed, un-hidden part)
  int64_t buckets_launched_in_backward = 0;
  int64_t buckets_launched_in_finish = 0;
};

class GradientSynchronizer {
 public:
  // `params` in registration order (module->parameters()). Only those with requires_grad take part.
  GradientSynchronizer(std::shared_ptr<Context> ctx, std::vector<torch::Tensor> params, double bucket_mb = 25.0);
  ~GradientSynchronizer();
  GradientSynchronizer(const GradientSynchronizer&) = delete;
  GradientSynchronizer& operator=(const GradientSynchronizer&) = delete;

  // Copies rank 0's values of `params` (and extra tensors, e.g. buffers) to every rank.
  void broadcast_parameters(const std::vector<torch::Tensor>& extra = {});
  // When false, backward only accumulates locally (gradient accumulation micro-batches); the hooks
  // launch nothing and the next synchronized backward reduces the accumulated gradients.
  void set_sync(bool sync) { sync_ = sync; }
  // After backward: all gradients averaged over ranks in param.grad. Throws vdf::Error if a peer failed.
  void finish();

  // Bucket layout: parameter indices (into `params`) per bucket, bucket 0 first.
  const std::vector<std::vector<int>>& buckets() const { return bucket_params_; }
  uint64_t layout_hash() const;
  const BucketStats& stats() const { return stats_; }
  // Disables overlap: hooks do nothing and finish() launches every bucket (benchmark reference).
  void set_overlap(bool overlap) { overlap_ = overlap; }

 private:
  struct Bucket;
  void on_grad_ready(int param_index);
  void launch_ready_buckets_locked(bool force);
  void copy_into_bucket(Bucket& b, int param_index);

  std::shared_ptr<Context> ctx_;
  std::vector<torch::Tensor> params_;
  std::vector<std::vector<int>> bucket_params_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<int> bucket_of_;  // param index -> bucket
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // keeps hook targets alive
  std::vector<std::pair<torch::autograd::Node*, uintptr_t>> hooks_;
  size_t next_bucket_ = 0;
  bool sync_ = true;
  bool overlap_ = true;
  std::mutex mutex_;
  BucketStats stats_;
};

}  // namespace vdf::distributed
