// Pre-flight estimate of a training run (`vdf train --dry-run`, `vdf plan`, and the memory check every
// `vdf train` does before step 1): per-rank device memory for weights, gradients, optimizer state, EMA
// and the activations of the WORST bucket (the bucket whose per-rank batch needs the most activation
// memory) under the parallel strategy (ddp / zero2 / zero3, sequence-parallel degree), the checkpointed
// block count, offload and precision; plus FLOPs, tokens and communication volume per step. The model
// enters only through models::ModelCost (parameter counts, FLOPs, activation model), so the same numbers
// exist for models whose code is not built (the Wan 2.1 shapes). The memory model, its assumptions per
// strategy and its measured accuracy: docs/distributed.md ("Pre-flight memory estimate").
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "framework/config/schema/distributed.h"
#include "framework/config/schema/model.h"
#include "framework/models/cost/model_cost.h"
#include "train/config.h"

namespace vdf::train {

// One bucket of the training data: latent shape, per-rank batch size, samples in the training split.
struct BucketLoad {
  std::string bucket;                // "TxHxW"
  std::vector<int64_t> latent_cthw;  // [C, T, H, W]
  int64_t batch = 1;                 // per sequence-parallel group (= per rank without sequence parallelism)
  int64_t samples = 0;               // training samples in this bucket (0 = unknown, planning)
  bool forms_batch = true;           // enough samples for one global batch (else the sampler never draws it)
};

// How the run is parallelized and what it keeps.
struct PreflightSetup {
  int world_size = 1;
  config::DistStrategy strategy = config::DistStrategy::ddp;
  int64_t sequence_parallel = 1;
  bool comm_bf16 = false;            // distributed.comm_dtype
  double bucket_mb = 25;             // distributed.bucket_mb
  int64_t checkpointed_blocks = 0;   // resolved count (DitConfig::checkpointed_blocks())
  bool offload = false;              // model.offload_activations
  bool mixed_precision = false;      // bf16 autocast over fp32 master weights
  bool ema = true;                   // the trainer keeps an fp32 EMA of the weights
};

// Gradients are freed by the optimizer step and rebuilt during backward while activations are freed, so
// the two never peak together: peak = state + max(gradients, activations + one block's gradients).
enum class MemoryKind { state, gradients, activations };
struct MemoryLine {
  std::string what;
  double bytes = 0;
  MemoryKind kind = MemoryKind::state;
};

struct BucketEstimate {
  BucketLoad load;
  int64_t tokens_per_sample = 0;     // video tokens of one sample
  int64_t tokens_per_rank = 0;       // per sample on one rank (tokens / sequence_parallel, rounded up)
  double activation_bytes = 0;       // per rank, device
  double flops_per_step = 0;         // global: forward + backward (+ recompute of checkpointed blocks)
  int64_t tokens_per_step = 0;       // global
};

struct PreflightEstimate {
  std::string model;
  int64_t parameters = 0;
  PreflightSetup setup;
  std::vector<BucketEstimate> buckets;  // all buckets, sorted by key
  size_t worst = 0;                     // index of the worst bucket (largest activation memory)
  std::vector<MemoryLine> device;       // per-rank device memory of the worst bucket, by component
  double device_bytes = 0;              // the peak: state + max(gradients, activations + one block's gradients)
  double host_bytes = 0;                // offloaded block inputs (per rank, host memory)
  std::vector<MemoryLine> comm;         // bytes each rank sends per step, by collective
  double comm_bytes = 0;

  const BucketEstimate& worst_bucket() const { return buckets.at(worst); }
  std::string table() const;            // human-readable report (what --dry-run prints)
};

// Throws vdf::Error on an impossible setup (sequence_parallel not dividing world size or heads, no buckets).
PreflightEstimate estimate_preflight(const models::ModelCost& model, const std::vector<BucketLoad>& buckets,
                                     int64_t text_len, const PreflightSetup& setup);

// The setup of a run from its config sections, world size and device (precision auto = bf16 on CUDA).
PreflightSetup preflight_setup(const config::DitConfig& model, const config::DistributedConfig& dist,
                               const config::TrainConfig& train, int world_size, const torch::Device& device);

// The buckets of a dataset's training split as the trainer's sampler sees them (the same held-out split,
// per-bucket batch sizes from `data`); a bucket with fewer samples than one global batch
// (batch * world_size / sequence_parallel) is marked !forms_batch. Reads one sample for the channels.
std::vector<BucketLoad> dataset_buckets(const data::LatentDataset& dataset, const config::DataConfig& data,
                                        int64_t seed, int data_parallel_groups, int64_t* text_len);

// The estimate of a `vdf train` run from its config sections and dataset (the DiT family; the Wan family
// plugs in here through models::ModelCost once model.family exists).
// The cost model of `model.family` (the DiT from its config, Wan from its resolved shape).
std::unique_ptr<models::ModelCost> preflight_model_cost(const config::DitConfig& model);

PreflightEstimate estimate_run(const config::DitConfig& model, const config::DataConfig& data,
                               const config::DistributedConfig& dist, const config::TrainConfig& train, int64_t seed,
                               const data::LatentDataset& dataset, int world_size, const torch::Device& device);

// The memory one rank may use: train.memory_budget_gb when > 0, else free CUDA memory of `device`, else
// available RAM divided by the ranks on this node.
struct MemoryBudget {
  double bytes = 0;
  std::string source;
};
MemoryBudget memory_budget(const config::TrainConfig& train, const torch::Device& device, int local_world_size);

// The check before step 1: with train.memory_check=refuse throws vdf::Error when the estimate exceeds the
// budget (the message has the numbers and what to change); warn logs it; off does nothing.
void check_memory(const PreflightEstimate& estimate, const MemoryBudget& budget, config::MemoryCheck mode);

}  // namespace vdf::train
