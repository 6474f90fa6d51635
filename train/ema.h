// Exponential moving average of the weights. Before `start` the average is a plain copy of the weights;
// from then on: ema = decay * ema + (1 - decay) * w, in fp32, after every optimizer update that was not
// skipped. Buffers (non-trainable state) are copied, so the EMA is a complete state dict of the model.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

namespace vdf::train {

class Ema {
 public:
  Ema(const torch::nn::Module& module, double decay, int64_t start);
  // Called after optimizer step number `step` (1-based).
  void update(const torch::nn::Module& module, int64_t step);
  // A full state dict (parameters + buffers), fp32, on the module's device.
  const std::map<std::string, torch::Tensor>& tensors() const { return ema_; }
  // Restores from a checkpoint; strict on names and shapes.
  void load(const std::map<std::string, torch::Tensor>& tensors);
  double decay() const { return decay_; }

 private:
  double decay_;
  int64_t start_;
  std::map<std::string, torch::Tensor> ema_;
};

}  // namespace vdf::train
