// ModelCost of the vdf video DiT (section `model`), from the config alone: parameters and FLOPs from
// framework/models/dit/stats.h, activations from the shared block model plus the DiT's embedders and
// final layer.
#pragma once
#include <memory>

#include "framework/config/schema/model.h"
#include "framework/models/cost/model_cost.h"

namespace vdf::models {

std::unique_ptr<ModelCost> dit_cost(const config::DitConfig& model);

}  // namespace vdf::models
