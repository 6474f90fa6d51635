// AdamW with decoupled weight decay applied only to weight matrices, and the gradient utilities of a
// training step (global norm, clipping, finiteness). The update is PyTorch's AdamW (torch.optim.AdamW /
// torch::optim::AdamW, amsgrad off) op for op, so results match it bit for bit (tested); state is kept
// per parameter *name*, which makes checkpoints readable and independent of pointer identity.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vdf::train {

struct NamedParameter {
  std::string name;
  torch::Tensor param;  // fp32 master weight (the module's own parameter)
  bool decay = false;   // receives weight decay
};

// Decay rule: a parameter gets weight decay iff it has >= 2 dimensions (a matrix / conv kernel) and its
// name contains none of `no_decay` (norm scales, embedding tables, positional embeddings, biases).
bool wants_weight_decay(const std::string& name, const torch::Tensor& param,
                        const std::vector<std::string>& no_decay);
// All trainable parameters of `module` (requires_grad), in registration order, with the decay flag set.
std::vector<NamedParameter> collect_parameters(const torch::nn::Module& module,
                                               const std::vector<std::string>& no_decay);

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

class AdamW {
 public:
  AdamW(std::vector<NamedParameter> params, AdamWOptions options);
  // One update with learning rate `lr` from the parameters' .grad (parameters without a gradient are
  // left untouched). Increments the step counter used for bias correction.
  void step(double lr);
  int64_t step_count() const { return step_; }
  const std::vector<NamedParameter>& parameters() const { return params_; }
  // Checkpoint state: "exp_avg.<name>" and "exp_avg_sq.<name>" for every parameter that has state.
  std::map<std::string, torch::Tensor> state_tensors() const;
  // Restores state saved by state_tensors(); strict: every tensor must match a parameter and shape.
  void load_state(const std::map<std::string, torch::Tensor>& tensors, int64_t step_count);
  int64_t decayed_count() const;

 private:
  std::vector<NamedParameter> params_;
  AdamWOptions options_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;  // undefined until first update of that parameter
  int64_t step_ = 0;
};

// Global L2 norm of the gradients (torch.nn.utils.clip_grad_norm_ semantics: the norm of the per-tensor
// norms, in fp32). Parameters without a gradient are ignored. Returns NaN/Inf when any gradient is.
double global_grad_norm(const std::vector<NamedParameter>& params);
// Scales gradients by max_norm / (norm + 1e-6) when that is < 1 (clip_grad_norm_). max_norm <= 0: no-op.
void clip_gradients(const std::vector<NamedParameter>& params, double norm, double max_norm);
void zero_gradients(const std::vector<NamedParameter>& params);

}  // namespace vdf::train
