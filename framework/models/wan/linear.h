// The linear layer of the Wan family: y = x W^T + b, with the state-dict names of torch.nn.Linear
// (`weight` [out, in], `bias` [out]) so diffusers checkpoints load by name, plus an optional LoRA
// adapter (lora.h) that adds scale * B (A x). The adapter is deliberately NOT a registered submodule:
// the model's state dict stays exactly the base checkpoint's, and the adapters are trained, saved and
// exported through their own module (LoraSet, lora.h).
#pragma once
#include <torch/torch.h>

#include <memory>

namespace vdf::wan {

// Low-rank update of one linear layer: delta(x) = scale * (x A^T) B^T, A [rank, in], B [out, rank].
struct LoraAdapterImpl : torch::nn::Module {
  // PEFT's initialization: A kaiming-uniform (a = sqrt(5)), B = 0, so a fresh adapter changes nothing.
  LoraAdapterImpl(int64_t in, int64_t out, int64_t rank, double scale);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor lora_A, lora_B;
  double scale;
};
TORCH_MODULE(LoraAdapter);

struct LinearImpl : torch::nn::Module {
  LinearImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  // Folds the adapter into `weight` (W += scale B A) and removes it.
  void merge_adapter();
  torch::Tensor weight, bias;
  LoraAdapter adapter{nullptr};  // unregistered on purpose (see above)
};
TORCH_MODULE(Linear);

}  // namespace vdf::wan
