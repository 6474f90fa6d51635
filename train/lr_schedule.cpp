#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace vdf::train {

double learning_rate(const config::TrainConfig& cfg, int64_t step) {
  if (cfg.warmup_steps > 0 && step <= cfg.warmup_steps)
    return cfg.lr * static_cast<double>(step) / static_cast<double>(cfg.warmup_steps);
  if (cfg.lr_schedule == config::LrSchedule::constant) return cfg.lr;
  const double span = static_cast<double>(std::max<int64_t>(1, cfg.steps - cfg.warmup_steps));
  const double progress = std::clamp(static_cast<double>(step - cfg.warmup_steps) / span, 0.0, 1.0);
  const double min_lr = cfg.min_lr_ratio * cfg.lr;
  return min_lr + (cfg.lr - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace vdf::train
