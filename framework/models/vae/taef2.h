// TAEF2 (madebyollin/taesd, MIT): a tiny per-frame autoencoder distilled for the FLUX.2 latent space.
// Pixels [0,1] both ways, 8x spatial compression, 32 latent channels, raw latents (scale 1, shift 0).
// Weights: ../shared/assets/vae/taef2_{encoder,decoder}.pth (nn.Sequential keys "1.conv.0.weight").
// Matches ../shared/golden/taef2 (see docs/models.md for the measured errors).
// The same class also serves "random-tiny": the TAESD layout at width 16 with 4 latent channels and
// deterministic recipe weights (not pretrained).
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "framework/models/vae/taesd_layers.h"
#include "framework/models/vae/vae.h"

namespace vdf::vae {

class TaesdVae : public Vae {
 public:
  // Real TAEF2 from two weight files (.pth or .safetensors).
  static std::unique_ptr<TaesdVae> taef2(const std::filesystem::path& encoder_path,
                                         const std::filesystem::path& decoder_path, int64_t chunk_frames = 16);
  // Recipe-weighted TAESD-layout VAE (tests, quickstart). Not pretrained.
  static std::unique_ptr<TaesdVae> recipe(const std::string& name, const TaesdArch& arch, int64_t chunk_frames = 16);

  const VaeInfo& info() const override { return info_; }
  torch::Tensor encode(const torch::Tensor& video) override;
  torch::Tensor decode(const torch::Tensor& latents) override;
  void to(torch::Device device, torch::Dtype dtype) override;
  torch::Device device() const override { return device_; }
  torch::Dtype dtype() const override { return dtype_; }

  // Image-level access ([N,3,H,W] in [0,1] <-> raw latents [N,C,H/8,W/8]); no chunking.
  torch::Tensor encode_images(const torch::Tensor& images);
  torch::Tensor decode_images(const torch::Tensor& latents);  // clamped to [0,1]

  torch::nn::Sequential encoder() const { return encoder_; }
  torch::nn::Sequential decoder() const { return decoder_; }

 private:
  TaesdVae(const TaesdArch& arch, int64_t chunk_frames);
  TaesdArch arch_;
  torch::nn::Sequential encoder_, decoder_;
  int64_t chunk_frames_;
  VaeInfo info_;
  torch::Device device_ = torch::kCPU;
  torch::Dtype dtype_ = torch::kFloat32;
};

}  // namespace vdf::vae
