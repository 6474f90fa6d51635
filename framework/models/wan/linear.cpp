#include "framework/models/wan/linear.h"

#include <cmath>

namespace vdf::wan {

LoraAdapterImpl::LoraAdapterImpl(int64_t in, int64_t out, int64_t rank, double scale_) : scale(scale_) {
  lora_A = register_parameter("lora_A", torch::empty({rank, in}));
  lora_B = register_parameter("lora_B", torch::zeros({out, rank}));
  torch::NoGradGuard no_grad;
  // kaiming_uniform_(a = sqrt(5)) of a [rank, in] weight: bound = 1 / sqrt(in) (torch.nn.Linear's init).
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  lora_A.uniform_(-bound, bound);
}

torch::Tensor LoraAdapterImpl::forward(const torch::Tensor& x) {
  return torch::nn::functional::linear(torch::nn::functional::linear(x, lora_A.to(x.scalar_type())),
                                       lora_B.to(x.scalar_type())) *
         scale;
}

LinearImpl::LinearImpl(int64_t in, int64_t out) {
  weight = register_parameter("weight", torch::empty({out, in}));
  bias = register_parameter("bias", torch::empty({out}));
  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));  // torch.nn.Linear's default init
  weight.uniform_(-bound, bound);
  bias.uniform_(-bound, bound);
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);
  if (adapter) y = y + adapter->forward(x);
  return y;
}

void LinearImpl::merge_adapter() {
  if (!adapter) return;
  torch::NoGradGuard no_grad;
  auto delta = torch::matmul(adapter->lora_B.to(torch::kFloat32), adapter->lora_A.to(torch::kFloat32)) * adapter->scale;
  weight.add_(delta.to(weight.device(), weight.scalar_type()));
  adapter = nullptr;
}

}  // namespace vdf::wan
