// A tiny stand-in TrainTask for trainer unit tests: a per-voxel MLP conditioned on t and the pooled
// text embedding, trained with a rectified-flow loss. Small, fast, and with the parameter kinds the
// decay rule cares about (matrices, biases, a norm, an embedding table).
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "train/task.h"

namespace vdf::testing {

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl(int64_t channels, int64_t pooled_dim, int64_t hidden = 16) {
    in = register_module("in", torch::nn::Linear(channels + 1, hidden));
    cond = register_module("cond", torch::nn::Linear(pooled_dim, hidden));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    embedding = register_module("embedding", torch::nn::Embedding(4, hidden));
    out = register_module("out", torch::nn::Linear(hidden, channels));
  }
  // x [B,C,T,H,W], t [B], pooled [B,Dp]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& pooled) {
    auto h = x.permute({0, 2, 3, 4, 1});  // [B,T,H,W,C]
    auto tt = t.view({-1, 1, 1, 1, 1}).expand({h.size(0), h.size(1), h.size(2), h.size(3), 1});
    h = in(torch::cat({h, tt.to(h.dtype())}, -1));
    h = h + cond(pooled).view({pooled.size(0), 1, 1, 1, -1}) + embedding->weight[0];
    h = torch::silu(norm(h));
    return out(h).permute({0, 4, 1, 2, 3});
  }
  torch::nn::Linear in{nullptr}, cond{nullptr}, out{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Embedding embedding{nullptr};
};
TORCH_MODULE(TinyNet);

class TinyTask : public train::TrainTask {
 public:
  TinyTask(int64_t channels, int64_t pooled_dim) : net(channels, pooled_dim) {}
  torch::nn::Module& module() override { return *net; }
  torch::Tensor flow_loss(const data::LatentBatch& b, const torch::Tensor& t, torch::Generator& gen) {
    auto noise = torch::randn(b.latents.sizes(), gen, b.latents.options());
    auto tv = t.view({-1, 1, 1, 1, 1});
    auto xt = (1 - tv) * b.latents + tv * noise;
    auto pred = net->forward(xt, t, b.pooled);
    return torch::mse_loss(pred.to(torch::kFloat32), noise - b.latents);
  }
  torch::Tensor loss(const data::LatentBatch& b, torch::Generator& gen) override {
    calls += 1;
    auto t = torch::rand({b.latents.size(0)}, gen, b.latents.options());
    auto l = flow_loss(b, t, gen);
    if (nan_on_call == calls) l = l * std::numeric_limits<float>::quiet_NaN();
    return l;
  }
  torch::Tensor loss_at(const data::LatentBatch& b, double t, torch::Generator& gen) override {
    return flow_loss(b, torch::full({b.latents.size(0)}, t, b.latents.options()), gen);
  }
  int64_t tokens_per_sample(const std::vector<int64_t>& s) const override { return s[1] * s[2] * s[3]; }
  std::string describe() const override { return "tiny test net"; }
  TinyNet net;
  int64_t calls = 0;
  int64_t nan_on_call = -1;
};

}  // namespace vdf::testing
