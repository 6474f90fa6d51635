// Module state <-> named tensors (parameters then buffers, dotted names equal to the public checkpoint
// keys). Loading is strict: missing, unexpected and mis-shaped tensors are errors naming the key.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace vdf::train {

using TensorMap = std::map<std::string, torch::Tensor>;

// Detached CPU copies of every parameter and buffer.
TensorMap module_state(const torch::nn::Module& module);
// Copies `tensors` into the module's parameters and buffers (dtype/device converted). `what` names the
// source in errors ("checkpoint runs/x/checkpoints/step_0000010/model.safetensors").
void load_module_state(torch::nn::Module& module, const TensorMap& tensors, const std::string& what);
// Moves every tensor of a map to CPU, contiguous (for saving).
TensorMap to_cpu(const TensorMap& tensors);

}  // namespace vdf::train
