// Config section `distributed`: data-parallel training over c10d process groups (see docs/distributed.md).
// Which rank a process is, and where the rendezvous is, come from the environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT or their SLURM equivalents); this section only tunes how.
#pragma once
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

enum class DistBackend { automatic, gloo, nccl };
VDF_CONFIG_ENUM(DistBackend, {DistBackend::automatic, "auto"}, {DistBackend::gloo, "gloo"}, {DistBackend::nccl, "nccl"})

struct DistributedConfig {
  DistBackend backend = DistBackend::automatic;  // auto: NCCL on CUDA, Gloo on CPU
  double timeout_s = 300.0;      // collective / rendezvous timeout: a dead or hung rank ends the job after this
  double bucket_mb = 25.0;       // gradient all-reduce bucket size (PyTorch DDP's default is 25 MB)
  bool zero1 = false;            // shard optimizer state across ranks (ZeRO-1); not implemented yet -> error
  std::string master_addr;       // overrides MASTER_ADDR / the first SLURM node when non-empty
  int master_port = 0;           // overrides MASTER_PORT when > 0
  bool check_consistency = true; // all-gather hashes of the resolved config and initial weights at start

  template <class V>
  void visit(V& v) {
    v("backend", backend, "process-group backend; auto = NCCL on CUDA, Gloo on CPU");
    v("timeout_s", timeout_s, "rendezvous/collective timeout in seconds; a dead or hung rank ends the job after this");
    v("bucket_mb", bucket_mb, "gradient all-reduce bucket size in MiB (launched during backward)");
    v("zero1", zero1, "shard optimizer state across ranks (ZeRO-1); not available yet");
    v("master_addr", master_addr, "rendezvous host; overrides MASTER_ADDR / first SLURM node when set");
    v("master_port", master_port, "rendezvous port; overrides MASTER_PORT when > 0");
    v("check_consistency", check_consistency,
      "compare hashes of the resolved config and initial weights across ranks at start");
  }
  void validate(const Check& c) const {
    c.require(timeout_s > 0, "timeout_s", timeout_s, "a positive number of seconds");
    c.require(bucket_mb > 0, "bucket_mb", bucket_mb, "a positive size in MiB");
    c.require(!zero1, "zero1", zero1, "false (ZeRO-1 optimizer sharding is not implemented yet)");
    c.require(master_port >= 0 && master_port <= 65535, "master_port", master_port, "0..65535");
  }
};

}  // namespace vdf::config
