// Learning-rate schedule: a pure function of the step number, so resuming needs no schedule state
// beyond the step. Steps are 1-based (the first optimizer step is step 1).
//   warmup:  lr * step / warmup_steps                         for step <= warmup_steps
//   constant: lr                                              afterwards
//   cosine:  min + (lr - min) * 0.5 * (1 + cos(pi * p)),      p = (step - warmup) / (steps - warmup),
//            min = min_lr_ratio * lr, p clamped to [0, 1]
#pragma once
#include <cstdint>

#include "train/config.h"

namespace vdf::train {

double learning_rate(const config::TrainConfig& cfg, int64_t step);

}  // namespace vdf::train
