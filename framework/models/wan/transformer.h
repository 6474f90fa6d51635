// The Wan 2.1 text-to-video transformer (diffusers WanTransformer3DModel; original WanModel), configured
// by the `model` section with model.family = wan (config::DitConfig: the widths in_channels,
// out_channels, patch, text_dim, grad_checkpointing; the sizes in model.wan.*).
//
// Top-level submodules (= diffusers checkpoint keys):
//   patch_embedding                                  Conv3d(C, dim, patch, stride = patch)
//   condition_embedder.time_embedder.linear_{1,2}    sinusoidal(freq_dim) -> dim -> SiLU -> dim  = temb
//   condition_embedder.time_proj                     SiLU(temb) -> 6 dim: the shared block modulation
//   condition_embedder.text_embedder.linear_{1,2}    text_dim -> dim -> GELU(tanh) -> dim
//   blocks.{i}.*                                     see blocks.h
//   norm_out (no parameters), scale_shift_table [1, 2, dim] (+ temb -> shift, scale), proj_out
// Output: unpatchify with feature order (pt, ph, pw, C).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "framework/config/schema/model.h"
#include "framework/models/wan/blocks.h"

namespace vdf::wan {

struct WanTransformerImpl : torch::nn::Module {
  // `cfg` (section `model`, family wan) is validated and its preset resolved here.
  explicit WanTransformerImpl(const config::DitConfig& cfg);

  // diffusers' forward: x [B, C, T, H, W] (T, H, W divisible by the patch), timestep [B] on Wan's
  // 0..1000 scale, context [B, L, text_dim] (already zero-padded) -> [B, out_channels, T, H, W].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep, const torch::Tensor& context);

  // vdf's denoiser convention (the ModelFn of framework/diffusion): flow time t [B] in [0, 1] (timestep =
  // 1000 t), text [B, L, text_dim] with mask [B, L]: tokens outside the mask are zeroed and the text is
  // zero-padded to model.wan.text_len, as Wan's pipeline and training do.
  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& text,
                        const torch::Tensor& text_mask);

  // Wan's init for training from scratch: xavier-uniform linears and patch embedding, zero biases,
  // N(0, 0.02) text/time embedders, zero output projection (a fresh model outputs exactly zero).
  void initialize_weights();

  const config::DitConfig& config() const { return cfg_; }
  const config::WanConfig& wan() const { return cfg_.wan; }

  torch::nn::Conv3d patch_embedding{nullptr};
  Linear time_linear_1{nullptr}, time_linear_2{nullptr}, time_proj{nullptr};
  Linear text_linear_1{nullptr}, text_linear_2{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  LayerNorm norm_out{nullptr};
  Linear proj_out{nullptr};
  torch::Tensor scale_shift_table;  // [1, 2, dim]

 private:
  config::DitConfig cfg_;  // resolved: cfg_.wan has its preset applied, out_channels filled
};
TORCH_MODULE(WanTransformer);

// Parameters of a Wan transformer of this config, without building it (for logs and memory estimates).
int64_t wan_parameter_count(const config::DitConfig& cfg);

}  // namespace vdf::wan
