// Planning table of `vdf plan`: for models (ModelCost) x latent shapes x strategies (ddp, zero2, zero3),
// the fewest checkpointed blocks that fit a per-GPU memory budget at each sequence-parallel degree, with
// the per-GPU memory of that plan, the communication per step and the FLOPs. Built on the pre-flight
// estimator (train/preflight.h); docs/distributed.md shows its output and the command that made it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "framework/models/cost/model_cost.h"
#include "train/preflight.h"

namespace vdf::train {

struct PlanCell {
  int64_t sequence_parallel = 1;
  bool valid = true;               // sequence_parallel divides the world size and the heads
  bool fits = false;               // some checkpoint count fits
  int64_t checkpointed_blocks = 0; // the fewest that fit (when fits)
  double device_bytes = 0;         // per GPU, of that plan (or of the all-checkpointed plan when none fits)
  double comm_bytes = 0;           // per GPU and step, collectives of the strategy + Ulysses all-to-all
  double flops_per_step = 0;       // global, recompute included
};

struct PlanRow {
  std::string model;
  int64_t parameters = 0;
  std::string shape;               // latent TxHxW
  int64_t tokens = 0;              // per sample
  double train_flops_per_sample = 0;  // forward + backward (3x forward), recompute not included
  config::DistStrategy strategy = config::DistStrategy::ddp;
  std::vector<PlanCell> cells;     // one per sequence-parallel degree
};

struct PlanRequest {
  std::vector<std::vector<int64_t>> latent_cthw;  // shapes to plan for
  int64_t batch = 1;                               // per sequence-parallel group
  int64_t text_len = 512;
  double budget_bytes = 0;                         // per GPU
  std::vector<int64_t> sequence_parallel{1, 2, 4, 8};
  PreflightSetup base;                             // world size, precision, comm dtype, offload, EMA
};

std::vector<PlanRow> plan_table(const std::vector<const models::ModelCost*>& models, const PlanRequest& request);
// Markdown: one row per model x shape x strategy, one column per sequence-parallel degree.
std::string plan_markdown(const std::vector<PlanRow>& rows, const PlanRequest& request);

}  // namespace vdf::train
