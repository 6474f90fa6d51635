// The trainer's view of data parallelism. It never assumes a single rank: it asks these hooks, which
// default to a single process (rank 0 of 1, every hook a no-op). The distributed layer
// (framework/distributed) fills them from its Context / GradientSynchronizer:
//   broadcast_parameters  at start, after the model is built (and after a resume has loaded weights)
//   after_backward        after loss.backward(): all-reduce (average) the gradients into param.grad
//   reduce_sum            metric reduction (loss, counts) — called by every rank in the same order
//   reduce_max            agreement on flags (e.g. "this rank saw a NaN loss" -> every rank skips)
//   barrier               around checkpoint writes (rank 0 writes, others wait)
//   agree                 rank 0's string on every rank (the checkpoint to resume from)
// Sharded strategies (distributed.strategy zero2 / zero3) also set:
//   optimizer_parameters  the optimizer's view of the parameters: this rank's pieces of the fp32 master
//                         shard (named "<param>@<begin>:<end>"), replacing the full parameters
//   combine_grad_norm     the global gradient norm from this rank's local one
//   after_optimizer_step  the parameters all-gathered from the updated shards (before the EMA update)
//   gather_parameters /   the module's full parameters readable in between (zero3 frees them otherwise:
//   release_parameters    checkpoint, validation, end of step)
//   sharded_optimizer     true: every rank writes its own optimizer shard into the checkpoint
// Only rank 0 writes the run directory (config, log file, metrics, checkpoints, samples).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "train/adamw.h"

namespace vdf::train {

struct DistHooks {
  int rank = 0;
  int world_size = 1;
  int sequence_parallel = 1;  // ranks per sequence group: they share the samples (and the objective's draws)
  std::function<void(torch::nn::Module&)> broadcast_parameters;
  std::function<void()> after_backward;
  std::function<double(double)> reduce_sum;
  std::function<double(double)> reduce_max;
  std::function<void()> barrier;
  std::function<std::string(const std::string&)> agree;
  std::function<std::vector<NamedParameter>(torch::nn::Module&, std::vector<NamedParameter>)> optimizer_parameters;
  std::function<double(double)> combine_grad_norm;
  std::function<void()> after_optimizer_step;
  std::function<void()> gather_parameters;
  std::function<void()> release_parameters;
  bool sharded_optimizer = false;

  bool is_main() const { return rank == 0; }
  // Data-parallel coordinates: which slice of the global batch this rank's sequence group processes.
  int data_rank() const { return rank / sequence_parallel; }
  int data_world() const { return world_size / sequence_parallel; }
  void call_broadcast(torch::nn::Module& m) const { if (broadcast_parameters) broadcast_parameters(m); }
  void call_after_backward() const { if (after_backward) after_backward(); }
  double sum(double v) const { return reduce_sum ? reduce_sum(v) : v; }
  double mean(double v) const { return sum(v) / world_size; }
  double max(double v) const { return reduce_max ? reduce_max(v) : v; }
  void call_barrier() const { if (barrier) barrier(); }
  std::string agreed(const std::string& rank0_value) const { return agree ? agree(rank0_value) : rank0_value; }
  double grad_norm(double local_norm) const { return combine_grad_norm ? combine_grad_norm(local_norm) : local_norm; }
  void call_after_optimizer_step() const { if (after_optimizer_step) after_optimizer_step(); }
  void call_gather_parameters() const { if (gather_parameters) gather_parameters(); }
  void call_release_parameters() const { if (release_parameters) release_parameters(); }
};

}  // namespace vdf::train
