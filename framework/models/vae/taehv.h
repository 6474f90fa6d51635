// A causal video autoencoder with the structure and key names of TAEHV (madebyollin/taehv, MIT):
// 4x temporal and 8x spatial compression, causal memory blocks (MemBlock: each frame sees the previous
// frame's features at the same depth), temporal pooling (TPool: stride frames -> 1 by a 1x1 conv over
// stacked channels) and growth (TGrow). Keys equal taehv.pth / taew2_1.pth ("encoder.4.conv.0.weight",
// "decoder.7.conv.weight"), so those checkpoints load strictly (TGrow weights with more output
// channels than needed are cut to the last ones, as upstream's patch_tgrow_layers does).
//
// Frames: T input frames are padded (repeating the last frame) to a multiple of 4 and give T/4 latent
// frames; T' latents decode to 4T' - 3 frames (the first 3 decoder outputs are warm-up and dropped), so
// clips of 4k+1 frames round-trip exactly. Latent t depends only on frames <= 4t+3 (causal).
// Time is processed in chunks of `chunk_frames` with the MemBlock memories carried across chunks, which
// gives the same result as one pass while bounding memory.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "framework/models/vae/vae.h"

namespace vdf::vae {

// relu(conv(cat[x, past]) + x); conv = Sequential(conv3x3(2n,n), ReLU, conv3x3(n,n), ReLU, conv3x3(n,n))
struct MemBlockImpl : torch::nn::Module {
  explicit MemBlockImpl(int64_t n);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& past);
  torch::nn::Sequential conv{nullptr};
};
TORCH_MODULE(MemBlock);

// [N*T, C, H, W] -> [N*T/stride, C, H, W] via conv1x1(C*stride -> C) over `stride` stacked frames
struct TPoolImpl : torch::nn::Module {
  TPoolImpl(int64_t n, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t stride;
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(TPool);

// [N*T, C, H, W] -> [N*T*stride, C, H, W] via conv1x1(C -> C*stride)
struct TGrowImpl : torch::nn::Module {
  TGrowImpl(int64_t n, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  int64_t stride;
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(TGrow);

struct TaehvArch {
  int64_t latent_channels = 16;  // taehv.pth, taew2_1.pth: 16
  int64_t patch_size = 1;        // pixel (un)shuffle at the edges (taehv1_5 / taew2_2: 2)
  bool encoder_time_downscale[3] = {true, true, false};
  bool decoder_time_upscale[3] = {false, true, true};
};

struct TaehvModelImpl : torch::nn::Module {
  explicit TaehvModelImpl(const TaehvArch& arch);
  torch::nn::ModuleList encoder{nullptr}, decoder{nullptr};
  TaehvArch arch;
  int64_t t_downscale = 4, t_upscale = 4;
};
TORCH_MODULE(TaehvModel);

class TaehvVae : public Vae {
 public:
  // From a taehv.pth / taew2_1.pth style file (or .safetensors with the same keys).
  static std::unique_ptr<TaehvVae> from_file(const std::filesystem::path& path, const TaehvArch& arch,
                                             int64_t chunk_frames = 16);
  // Deterministic recipe weights (tests, pipelines without real weights). Not pretrained.
  static std::unique_ptr<TaehvVae> recipe(const TaehvArch& arch, int64_t chunk_frames = 16);

  const VaeInfo& info() const override { return info_; }
  torch::Tensor encode(const torch::Tensor& video) override;     // [B,3,T,H,W] -> [B,C,ceil(T/4),H/8,W/8]
  torch::Tensor decode(const torch::Tensor& latents) override;   // [B,C,T',h,w] -> [B,3,4T'-3,8h,8w]
  void to(torch::Device device, torch::Dtype dtype) override;
  torch::Device device() const override { return device_; }
  torch::Dtype dtype() const override { return dtype_; }

  TaehvModel model() const { return model_; }

 private:
  TaehvVae(const TaehvArch& arch, int64_t chunk_frames);
  // Runs a layer list over x [N,T,C,H,W] in time chunks of `chunk` input frames, carrying memories.
  torch::Tensor run(torch::nn::ModuleList& layers, const torch::Tensor& x, int64_t chunk);

  TaehvModel model_;
  int64_t chunk_frames_;
  VaeInfo info_;
  torch::Device device_ = torch::kCPU;
  torch::Dtype dtype_ = torch::kFloat32;
};

}  // namespace vdf::vae
