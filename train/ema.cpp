#include "train/ema.h"

#include "framework/core/error.h"

namespace vdf::train {

Ema::Ema(const torch::nn::Module& module, double decay, int64_t start) : decay_(decay), start_(start) {
  torch::NoGradGuard no_grad;
  for (const auto& p : module.named_parameters(true)) ema_[p.key()] = p.value().detach().to(torch::kFloat32).clone();
  for (const auto& b : module.named_buffers(true)) ema_[b.key()] = b.value().detach().clone();
}

void Ema::update(const torch::nn::Module& module, int64_t step) {
  torch::NoGradGuard no_grad;
  const bool copy = step <= start_;
  for (const auto& p : module.named_parameters(true)) {
    torch::Tensor& e = ema_.at(p.key());
    if (copy)
      e.copy_(p.value());
    else
      e.mul_(decay_).add_(p.value().detach().to(torch::kFloat32), 1.0 - decay_);
  }
  for (const auto& b : module.named_buffers(true)) ema_.at(b.key()).copy_(b.value());
}

void Ema::load(const std::map<std::string, torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (const auto& [key, value] : tensors) {
    auto it = ema_.find(key);
    VDF_CHECK(it != ema_.end(), "EMA weights: unexpected tensor '{}'", key);
    VDF_CHECK(it->second.sizes() == value.sizes(), "EMA weights: tensor '{}' has shape {}, expected {}", key,
              c10::str(value.sizes()), c10::str(it->second.sizes()));
    it->second.copy_(value);
  }
  for (const auto& [key, value] : ema_)
    VDF_CHECK(tensors.count(key), "EMA weights: missing tensor '{}'", key);
}

}  // namespace vdf::train
