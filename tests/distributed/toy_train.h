// A toy data-parallel training run used by the distributed tests: a 2-layer MLP regressing a fixed
// synthetic dataset with Adam, global batch split across ranks with batch_slice(), gradients through
// GradientSynchronizer. The same function runs in-process (world size 1, the reference) and inside
// `vdf launch`-started worker processes (the hidden Catch2 case "[.ddp_worker]" in test_ddp.cpp).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "framework/distributed/context.h"

namespace vdf::testing {

struct ToyOptions {
  int steps = 6;
  int64_t global_batch = 16;
  double bucket_mb = 0.001;  // ~1 KiB: several buckets for the toy model
  int die_rank = -1;         // this rank SIGKILLs itself at die_step
  int hang_rank = -1;        // this rank stops (sleeps) at die_step
  int die_step = -1;
  double step_sleep_s = 0;   // per-step pause (so a fault lands mid-run)
  bool perturb = false;      // ranks != 0 perturb their initial weights (broadcast must fix it)
  std::string config_text = "toy: 1";  // hashed by the consistency check
};

struct ToyResult {
  torch::Tensor weights;            // all parameters flattened, rank-identical
  std::vector<double> losses;       // global mean loss per step
  int64_t buckets = 0;
  int64_t launched_in_backward = 0;
};

ToyResult toy_train(const std::shared_ptr<distributed::Context>& ctx, const ToyOptions& o);

}  // namespace vdf::testing
