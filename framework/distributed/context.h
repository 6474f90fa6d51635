// vdf::distributed::Context: who this process is in a data-parallel job and the c10d process group it
// talks through. Built from the launch environment (env.h) and the `distributed` config section:
//   world size 1      -> no store, no process group; every collective is a no-op (plain single process)
//   world size > 1    -> c10d TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 hosts it) and a
//                        ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA builds) with timeout_s.
// One GPU per local rank: device "auto"/"cuda" becomes cuda:<LOCAL_RANK>.
// Collectives that fail (a peer crashed, or did not arrive within timeout_s) throw vdf::Error naming this
// rank, the operation, and which ranks had fallen behind according to the store.
// This header does not include the c10d headers (they are slow to compile); context.cpp does.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/schema/distributed.h"
#include "framework/distributed/env.h"

namespace vdf::distributed {

// An asynchronous collective in flight. wait() blocks until done and throws vdf::Error on failure.
class PendingWork {
 public:
  PendingWork() = default;
  bool valid() const { return static_cast<bool>(impl_); }
  void wait();
  struct Impl;

 private:
  friend class Context;
  std::shared_ptr<Impl> impl_;
};

class Context {
 public:
  // A single-process context (world size 1) on `device`.
  static std::shared_ptr<Context> single(torch::Device device = torch::kCPU);
  // From this process's environment + config. `device` is run.device (auto | cpu | cuda | cuda:N).
  static std::shared_ptr<Context> init(const config::DistributedConfig& cfg, const std::string& device = "auto");
  // From an explicit launch environment (tests).
  static std::shared_ptr<Context> init(const LaunchEnv& env, const config::DistributedConfig& cfg,
                                       const std::string& device = "auto");
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  int local_world_size() const { return env_.local_world_size; }
  bool is_main() const { return env_.rank == 0; }
  bool distributed() const { return env_.world_size > 1; }
  torch::Device device() const { return device_; }
  const std::string& backend() const { return backend_; }  // "none" | "gloo" | "nccl"
  const LaunchEnv& env() const { return env_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // ---- collectives (all ranks must call them in the same order with the same shapes) ----
  void barrier();
  void broadcast(torch::Tensor& tensor, int root = 0);        // in place
  void all_reduce_sum(torch::Tensor& tensor);                 // in place
  void all_reduce_mean(torch::Tensor& tensor);                // in place
  PendingWork all_reduce_sum_async(torch::Tensor& tensor);     // in place when waited
  std::vector<torch::Tensor> all_gather(const torch::Tensor& tensor);
  // Flat collectives of the sharded strategies (c10d _allgather_base / _reduce_scatter_base):
  //   all_gather_into: `full` (world_size * shard.numel() elements) = concatenation of every rank's `shard`;
  //   reduce_scatter_sum: `shard` = this rank's slice of the element-wise sum over ranks of `full`.
  // Both contiguous, same dtype and device. World size 1: a copy.
  void all_gather_into(torch::Tensor& full, const torch::Tensor& shard);
  void reduce_scatter_sum(torch::Tensor& shard, const torch::Tensor& full);
  // All-to-all with equal splits along dim 0 (c10d alltoall_base): chunk j of `in` goes to rank j, chunk
  // i of `out` comes from rank i. dim 0 of both must be world_size. World size 1: a copy.
  void all_to_all(torch::Tensor& out, const torch::Tensor& in);
  // Metric helpers: the mean / sum / max of a scalar over ranks (fp64 on the wire).
  double mean(double value);
  double sum(double value);
  double max(double value);

  // ---- store-based agreement (small strings, e.g. the run directory name) ----
  // Rank `root`'s value, on every rank. `key` must be unique per use within a job.
  std::string broadcast_string(const std::string& key, const std::string& value, int root = 0);
  // Records that this rank reached `step` (GradientSynchronizer::finish calls it) (used to name the ranks that fell behind when a collective fails).
  void report_progress(int64_t step);
  // "rank 1 at step 3, rank 2 at step 5" style summary of what the store knows; empty when unknown.
  std::string progress_summary();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  Context() = default;
  PendingWork launch(const std::string& op, const std::function<void*()>& start_fn);
  friend class PendingWork;
  [[noreturn]] void fail_collective(const std::string& op, const std::string& what,
                                    std::chrono::steady_clock::time_point started);

  LaunchEnv env_;
  torch::Device device_ = torch::kCPU;
  std::string backend_ = "none";
  std::chrono::milliseconds timeout_{300000};
  int64_t last_step_ = -1;
  std::unique_ptr<Impl> impl_;
};

// The device of local rank `local_rank` for run.device `device`: "auto" -> cuda:<local_rank> when CUDA is
// available else cpu; "cuda" -> cuda:<local_rank>; "cuda:N" and "cpu" as given.
torch::Device device_for_local_rank(const std::string& device, int local_rank);

}  // namespace vdf::distributed
