// The seam between the trainer and the model families: builds the TrainTask of `model.family` (dit:
// train/dit_task.h, wan: train/wan_task.h). The trainer, objectives and samplers see only TrainTask /
// diffusion::ModelFn, so a new family adds a task file and one case here.
#pragma once
#include <memory>
#include <vector>

#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/model.h"
#include "train/task.h"

namespace vdf::train {

// `latent_shape` [C, T, H, W] and `text_len` only feed the FLOP count the DiT logs.
std::shared_ptr<TrainTask> make_model_task(const config::DitConfig& model, const config::DiffusionConfig& diffusion,
                                           const std::vector<int64_t>& latent_shape = {}, int64_t text_len = 0);

}  // namespace vdf::train
