// The measured side of the pre-flight estimate: a few real training steps of the DiT task of a config,
// with the peak of LibTorch's allocator over model construction, optimizer, EMA and the steps
// (framework/core/peak_memory.h). Used by tests/train/test_preflight.cpp (estimate within a tolerance)
// and tools/bench/preflight.cpp (the estimate-vs-measured table of docs/distributed.md).
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/model.h"
#include "train/config.h"

namespace vdf::train {

// Peak bytes of `steps` training steps (single process, run directory not written) on `device`.
int64_t measure_training_peak(const TrainerConfig& trainer, const config::DitConfig& model,
                              const config::DiffusionConfig& diffusion, const torch::Device& device, int64_t steps);

}  // namespace vdf::train
