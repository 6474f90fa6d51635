// Config section `distributed`: data-parallel training over c10d process groups (see docs/distributed.md).
// Which rank a process is, and where the rendezvous is, come from the environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT or their SLURM equivalents); this section only tunes how.
#pragma once
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

enum class DistBackend { automatic, gloo, nccl };
VDF_CONFIG_ENUM(DistBackend, {DistBackend::automatic, "auto"}, {DistBackend::gloo, "gloo"}, {DistBackend::nccl, "nccl"})

// How parameters, gradients and optimizer state are spread over the ranks (docs/distributed.md):
//   ddp    everything replicated, gradients all-reduced (default)
//   zero2  gradients reduce-scattered into per-rank flat shards, AdamW state only for the rank's shard,
//          the updated shard all-gathered into the (replicated) parameters
//   zero3  zero2 + parameters sharded per transformer block: all-gathered ahead of use (forward, and again
//          in backward) and freed after (FSDP style)
enum class DistStrategy { ddp, zero2, zero3 };
VDF_CONFIG_ENUM(DistStrategy, {DistStrategy::ddp, "ddp"}, {DistStrategy::zero2, "zero2"}, {DistStrategy::zero3, "zero3"})

// Dtype on the wire for the sharded strategies' gradient reduce-scatter and parameter all-gather.
enum class CommDtype { float32, bfloat16 };
VDF_CONFIG_ENUM(CommDtype, {CommDtype::float32, "float32"}, {CommDtype::bfloat16, "bfloat16"})

struct DistributedConfig {
  DistBackend backend = DistBackend::automatic;  // auto: NCCL on CUDA, Gloo on CPU
  double timeout_s = 300.0;      // collective / rendezvous timeout: a dead or hung rank ends the job after this
  double bucket_mb = 25.0;       // gradient all-reduce bucket size (PyTorch DDP's default is 25 MB)
  DistStrategy strategy = DistStrategy::ddp;  // ddp | zero2 | zero3
  int sequence_parallel = 1;     // Ulysses degree: ranks per sequence group (1 = off)
  CommDtype comm_dtype = CommDtype::float32;  // zero2/zero3 communication dtype (fp32 master shards either way)
  std::string master_addr;       // overrides MASTER_ADDR / the first SLURM node when non-empty
  int master_port = 0;           // overrides MASTER_PORT when > 0
  bool check_consistency = true; // all-gather hashes of the resolved config and initial weights at start

  template <class V>
  void visit(V& v) {
    v("backend", backend, "process-group backend; auto = NCCL on CUDA, Gloo on CPU");
    v("timeout_s", timeout_s, "rendezvous/collective timeout in seconds; a dead or hung rank ends the job after this");
    v("bucket_mb", bucket_mb, "gradient all-reduce bucket size in MiB (launched during backward)");
    v("strategy", strategy, "ddp (replicated) | zero2 (sharded gradients + optimizer state) | zero3 (+ sharded parameters)");
    v("sequence_parallel", sequence_parallel, "ranks per sequence group (Ulysses degree); 1 = off");
    v("comm_dtype", comm_dtype, "zero2/zero3 gradient and parameter communication dtype (master shards stay fp32)");
    v("master_addr", master_addr, "rendezvous host; overrides MASTER_ADDR / first SLURM node when set");
    v("master_port", master_port, "rendezvous port; overrides MASTER_PORT when > 0");
    v("check_consistency", check_consistency,
      "compare hashes of the resolved config and initial weights across ranks at start");
  }
  void validate(const Check& c) const {
    c.require(timeout_s > 0, "timeout_s", timeout_s, "a positive number of seconds");
    c.require(bucket_mb > 0, "bucket_mb", bucket_mb, "a positive size in MiB");
    c.require(sequence_parallel >= 1, "sequence_parallel", sequence_parallel, ">= 1 (ranks per sequence group)");
    c.require(master_port >= 0 && master_port <= 65535, "master_port", master_port, "0..65535");
  }
};

}  // namespace vdf::config
