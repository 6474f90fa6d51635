#include "train/state_dict.h"

#include "framework/core/error.h"

namespace vdf::train {

TensorMap module_state(const torch::nn::Module& module) {
  TensorMap out;
  for (const auto& p : module.named_parameters(true)) out[p.key()] = p.value().detach().to(torch::kCPU).contiguous().clone();
  for (const auto& b : module.named_buffers(true)) out[b.key()] = b.value().detach().to(torch::kCPU).contiguous().clone();
  return out;
}

TensorMap to_cpu(const TensorMap& tensors) {
  TensorMap out;
  for (const auto& [k, v] : tensors) out[k] = v.detach().to(torch::kCPU).contiguous();
  return out;
}

void load_module_state(torch::nn::Module& module, const TensorMap& tensors, const std::string& what) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : module.named_parameters(true)) targets[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) targets[b.key()] = b.value();
  for (const auto& [key, value] : tensors) {
    auto it = targets.find(key);
    VDF_CHECK(it != targets.end(), "{}: unexpected tensor '{}' (not in the model)", what, key);
    VDF_CHECK(it->second.sizes() == value.sizes(), "{}: tensor '{}' has shape {}, the model expects {}", what, key,
              c10::str(value.sizes()), c10::str(it->second.sizes()));
  }
  for (const auto& [key, target] : targets)
    VDF_CHECK(tensors.count(key), "{}: missing tensor '{}' (shape {})", what, key, c10::str(target.sizes()));
  for (auto& [key, target] : targets) target.copy_(tensors.at(key));
}

}  // namespace vdf::train
