#include "framework/models/vae/taesd_layers.h"

namespace vdf::vae {

namespace nn = torch::nn;

nn::Conv2d conv3x3(int64_t n_in, int64_t n_out, int64_t stride, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(n_in, n_out, 3).padding(1).stride(stride).bias(bias));
}
nn::Conv2d conv1x1(int64_t n_in, int64_t n_out, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(n_in, n_out, 1).bias(bias));
}

TaeBlockImpl::TaeBlockImpl(int64_t n, bool midblock_gn) {
  conv = register_module("conv", nn::Sequential(conv3x3(n, n), nn::ReLU(), conv3x3(n, n), nn::ReLU(), conv3x3(n, n)));
  if (midblock_gn) {
    const int64_t g = n * 4;
    pool = register_module("pool", nn::Sequential(conv1x1(n, g), nn::GroupNorm(nn::GroupNormOptions(4, g)),
                                                  nn::ReLU(), conv1x1(g, n)));
  }
}

torch::Tensor TaeBlockImpl::forward(torch::Tensor x) {
  if (pool) x = x + pool->forward(x);
  return torch::relu(conv->forward(x) + x);
}

nn::Sequential make_taesd_encoder(const TaesdArch& a) {
  const int64_t w = a.width;
  nn::Sequential s;
  s->push_back(conv3x3(3, w));
  s->push_back(TaeBlock(w, false));
  for (int stage = 0; stage < 3; ++stage) {
    s->push_back(conv3x3(w, w, 2, false));
    for (int b = 0; b < 3; ++b) s->push_back(TaeBlock(w, a.midblock_gn && stage == 2));
  }
  s->push_back(conv3x3(w, a.latent_channels));
  return s;
}

nn::Sequential make_taesd_decoder(const TaesdArch& a) {
  const int64_t w = a.width;
  nn::Sequential s;
  s->push_back(Clamp());
  s->push_back(conv3x3(a.latent_channels, w));
  s->push_back(nn::ReLU());
  for (int stage = 0; stage < 3; ++stage) {
    for (int b = 0; b < 3; ++b) s->push_back(TaeBlock(w, a.midblock_gn && stage == 0));
    s->push_back(nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
    s->push_back(conv3x3(w, w, 1, false));
  }
  s->push_back(TaeBlock(w, false));
  s->push_back(conv3x3(w, 3));
  return s;
}

}  // namespace vdf::vae
