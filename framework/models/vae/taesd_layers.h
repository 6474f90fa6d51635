// Building blocks of the TAESD family (madebyollin/taesd, MIT): 3x3 convs, Clamp, Block with an
// optional "midblock GN" pre-branch (TAEF2). Module names equal the public checkpoint keys:
// Block -> conv.0/.2/.4, pool.0/.1/.3 (skip is Identity for equal widths, so it has no keys).
#pragma once
#include <torch/torch.h>

namespace vdf::vae {

// nn.Conv2d(n_in, n_out, 3, padding=1, stride, bias)
torch::nn::Conv2d conv3x3(int64_t n_in, int64_t n_out, int64_t stride = 1, bool bias = true);
torch::nn::Conv2d conv1x1(int64_t n_in, int64_t n_out, bool bias = false);

// tanh(x / 3) * 3
struct ClampImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) { return torch::tanh(x / 3) * 3; }
};
TORCH_MODULE(Clamp);

// relu(conv.4(relu(conv.2(relu(conv.0(x))))) + x), after x = x + pool(x) when midblock GN is on.
struct TaeBlockImpl : torch::nn::Module {
  TaeBlockImpl(int64_t n, bool midblock_gn);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential conv{nullptr}, pool{nullptr};
};
TORCH_MODULE(TaeBlock);

struct TaesdArch {
  int64_t width = 64;
  int64_t latent_channels = 4;
  bool midblock_gn = false;  // TAEF2: true (the last encoder stage, the first decoder stage)
};
// Encoder: conv(3,w), Block, 3 x [conv s2 (no bias), Block x3], conv(w, latent).
torch::nn::Sequential make_taesd_encoder(const TaesdArch& a);
// Decoder: Clamp, conv(latent,w), ReLU, 3 x [Block x3, Upsample x2, conv (no bias)], Block, conv(w,3).
torch::nn::Sequential make_taesd_decoder(const TaesdArch& a);

}  // namespace vdf::vae
