// The trainer's view of data parallelism. It never assumes a single rank: it asks these hooks, which
// default to a single process (rank 0 of 1, every hook a no-op). The distributed layer
// (framework/distributed) fills them from its Context / GradientSynchronizer:
//   broadcast_parameters  at start, after the model is built (and after a resume has loaded weights)
//   after_backward        after loss.backward(): all-reduce (average) the gradients into param.grad
//   reduce_sum            metric reduction (loss, counts) — called by every rank in the same order
//   reduce_max            agreement on flags (e.g. "this rank saw a NaN loss" -> every rank skips)
//   barrier               around checkpoint writes (rank 0 writes, others wait)
// Only rank 0 writes the run directory (config, log file, metrics, checkpoints, samples).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace vdf::train {

struct DistHooks {
  int rank = 0;
  int world_size = 1;
  std::function<void(torch::nn::Module&)> broadcast_parameters;
  std::function<void()> after_backward;
  std::function<double(double)> reduce_sum;
  std::function<double(double)> reduce_max;
  std::function<void()> barrier;

  bool is_main() const { return rank == 0; }
  void call_broadcast(torch::nn::Module& m) const { if (broadcast_parameters) broadcast_parameters(m); }
  void call_after_backward() const { if (after_backward) after_backward(); }
  double sum(double v) const { return reduce_sum ? reduce_sum(v) : v; }
  double mean(double v) const { return sum(v) / world_size; }
  double max(double v) const { return reduce_max ? reduce_max(v) : v; }
  void call_barrier() const { if (barrier) barrier(); }
};

}  // namespace vdf::train
