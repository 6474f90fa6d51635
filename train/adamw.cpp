#include "train/adamw.h"

#include <cmath>

#include "framework/core/error.h"

namespace vdf::train {

bool wants_weight_decay(const std::string& name, const torch::Tensor& param,
                        const std::vector<std::string>& no_decay) {
  if (param.dim() < 2) return false;
  for (const auto& pattern : no_decay)
    if (!pattern.empty() && name.find(pattern) != std::string::npos) return false;
  return true;
}

std::vector<NamedParameter> collect_parameters(const torch::nn::Module& module,
                                               const std::vector<std::string>& no_decay) {
  std::vector<NamedParameter> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    out.push_back({item.key(), item.value(), wants_weight_decay(item.key(), item.value(), no_decay)});
  }
  return out;
}

AdamW::AdamW(std::vector<NamedParameter> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), exp_avg_(params_.size()), exp_avg_sq_(params_.size()) {}

int64_t AdamW::decayed_count() const {
  int64_t n = 0;
  for (const auto& p : params_) n += p.decay ? 1 : 0;
  return n;
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  step_ += 1;
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step_));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step_));
  const double step_size = lr / bias_correction1;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].param;
    const torch::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    if (!exp_avg_[i].defined()) {
      exp_avg_[i] = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      exp_avg_sq_[i] = torch::zeros_like(p, torch::MemoryFormat::Preserve);
    }
    // Same operations, in the same order, as torch::optim::AdamW::step (LibTorch 1.13 .. 2.x).
    if (params_[i].decay && options_.weight_decay != 0) p.mul_(1 - lr * options_.weight_decay);
    exp_avg_[i].mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq_[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    torch::Tensor denom = (exp_avg_sq_[i].sqrt() / std::sqrt(bias_correction2)).add_(options_.eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

std::map<std::string, torch::Tensor> AdamW::state_tensors() const {
  std::map<std::string, torch::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!exp_avg_[i].defined()) continue;
    out["exp_avg." + params_[i].name] = exp_avg_[i];
    out["exp_avg_sq." + params_[i].name] = exp_avg_sq_[i];
  }
  return out;
}

void AdamW::load_state(const std::map<std::string, torch::Tensor>& tensors, int64_t step_count) {
  torch::NoGradGuard no_grad;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < params_.size(); ++i) index[params_[i].name] = i;
  for (auto& t : exp_avg_) t = torch::Tensor();
  for (auto& t : exp_avg_sq_) t = torch::Tensor();
  for (const auto& [key, value] : tensors) {
    const bool avg = key.rfind("exp_avg.", 0) == 0;
    const bool sq = key.rfind("exp_avg_sq.", 0) == 0;
    VDF_CHECK(avg || sq, "optimizer state: unexpected tensor '{}'", key);
    const std::string name = key.substr(avg ? 8 : 11);
    auto it = index.find(name);
    VDF_CHECK(it != index.end(), "optimizer state: tensor '{}' names no parameter of the model", key);
    const torch::Tensor& p = params_[it->second].param;
    VDF_CHECK(value.sizes() == p.sizes(), "optimizer state: tensor '{}' has shape {}, parameter has {}", key,
              c10::str(value.sizes()), c10::str(p.sizes()));
    (avg ? exp_avg_ : exp_avg_sq_)[it->second] = value.to(p.options()).clone();
  }
  for (size_t i = 0; i < params_.size(); ++i)
    VDF_CHECK(exp_avg_[i].defined() == exp_avg_sq_[i].defined(),
              "optimizer state: parameter '{}' has only one of exp_avg / exp_avg_sq", params_[i].name);
  step_ = step_count;
}

double global_grad_norm(const std::vector<NamedParameter>& params) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.param.grad().defined()) norms.push_back(p.param.grad().detach().to(torch::kFloat32).norm(2));
  if (norms.empty()) return 0.0;
  return torch::stack(norms).norm(2).item<double>();
}

void clip_gradients(const std::vector<NamedParameter>& params, double norm, double max_norm) {
  if (max_norm <= 0) return;
  torch::NoGradGuard no_grad;
  const float coef = static_cast<float>(max_norm) / (static_cast<float>(norm) + 1e-6f);
  if (coef >= 1.0f) return;
  for (const auto& p : params)
    if (p.param.grad().defined()) p.param.grad().mul_(coef);
}

void zero_gradients(const std::vector<NamedParameter>& params) {
  // set_to_none semantics (PyTorch 2.x default): the next backward allocates fresh gradients.
  for (const auto& p : params) {
    torch::Tensor param = p.param;
    param.mutable_grad() = torch::Tensor();
  }
}

}  // namespace vdf::train
