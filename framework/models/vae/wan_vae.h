// The Wan 2.1 video VAE (diffusers `AutoencoderKLWan`, original `Wan2.1_VAE.pth`) as a vdf::vae::Vae.
//
// Causal 3D convolutions, 4x temporal and 8x8 spatial compression, 16 latent channels (all from the
// architecture). Frames: T = 1 + 4k in, 1 + k latents out; any other T is a vdf::Error naming it.
// Time runs chunk by chunk exactly as upstream (encoder: frame 0, then groups of 4; decoder: one latent
// frame at a time) with the causal feature cache of wan_modules.h, so memory does not grow with T.
// Optional spatial tiling (overlapping tiles blended linearly, diffusers' tiled_encode/tiled_decode)
// bounds memory for large frames.
//
// Pixels: encode() takes [0,1] and feeds the model 2x-1; decode() returns (clamp(y,-1,1)+1)/2.
// Latents: the posterior mean normalized per channel as Wan pipelines do:
//   scaled = (mean - latents_mean[c]) * (1 / latents_std[c]); decode: raw = scaled / (1/std) + mean.
// VaeInfo::channel_shift / channel_scale carry latents_mean and 1/latents_std into shards.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "framework/models/vae/vae.h"
#include "framework/models/vae/wan_arch.h"
#include "framework/models/vae/wan_modules.h"

namespace vdf::vae {

// Spatial tiling in pixels (diffusers' enable_tiling defaults: 256 tiles every 192 pixels). Used when
// enabled and the frame is larger than one tile.
struct WanTiling {
  bool enabled = false;
  int64_t min_height = 256, min_width = 256;        // tile size
  int64_t stride_height = 192, stride_width = 192;  // tile step; tile - step pixels are blended
};

class WanVae : public Vae {
 public:
  // From a diffusers model folder, its vae/ folder, or a single weights file (original or diffusers
  // names; `single_file_arch` gives its architecture). Strict; errors name the file and key.
  static std::unique_ptr<WanVae> from_path(const std::filesystem::path& path, const WanVaeArch& single_file_arch,
                                           const WanTiling& tiling = {});
  // Deterministic recipe weights at any size: NOT pretrained (tests, pipelines without real weights).
  static std::unique_ptr<WanVae> random(const WanVaeArch& arch, const WanTiling& tiling = {});

  const VaeInfo& info() const override { return info_; }
  torch::Tensor encode(const torch::Tensor& video) override;  // [B,3,1+4k,H,W] -> [B,16,1+k,H/8,W/8]
  std::pair<torch::Tensor, torch::Tensor> encode_posterior(const torch::Tensor& video) override;
  torch::Tensor decode(const torch::Tensor& latents) override;  // [B,16,1+k,h,w] -> [B,3,1+4k,8h,8w]
  void to(torch::Device device, torch::Dtype dtype) override;
  torch::Device device() const override { return device_; }
  torch::Dtype dtype() const override { return dtype_; }

  // Unnormalized model space: video in [0,1] (fed to the model as 2x-1, chunk by chunk) -> quant_conv
  // output [B, 2 z_dim, t', h, w] (mean, logvar), and raw latents -> pixels clamped to [-1,1]. Tiled when
  // tiling applies.
  torch::Tensor encode_moments(const torch::Tensor& video01);
  torch::Tensor decode_raw(const torch::Tensor& raw_latents);

  WanAutoencoder model() const { return model_; }
  const WanVaeArch& arch() const { return model_->arch; }
  WanTiling& tiling() { return tiling_; }

 private:
  WanVae(const WanVaeArch& arch, const WanTiling& tiling);
  void check_frames(int64_t frames, const char* what) const;
  torch::Tensor encode_frames(const torch::Tensor& video01);  // one spatial tile, all time chunks
  torch::Tensor decode_frames(const torch::Tensor& raw);     // one spatial tile, all time chunks
  torch::Tensor tiled_encode(const torch::Tensor& pixels);
  torch::Tensor tiled_decode(const torch::Tensor& raw);
  std::pair<torch::Tensor, torch::Tensor> channel_norm() const;  // latents_mean, 1/latents_std [1,C,1,1,1]

  WanAutoencoder model_;
  WanTiling tiling_;
  VaeInfo info_;
  torch::Device device_ = torch::kCPU;
  torch::Dtype dtype_ = torch::kFloat32;
};

}  // namespace vdf::vae
