// The layers of the Wan 2.1 VAE with diffusers' `AutoencoderKLWan` module and key names
// ("encoder.down_blocks.0.conv1.weight", "decoder.up_blocks.1.upsamplers.0.time_conv.bias"), so a
// diffusers `vae/diffusion_pytorch_model.safetensors` loads strictly without renaming.
//
// Time is causal and processed chunk by chunk (as upstream: encoder chunks of 1, then 4 frames;
// decoder chunks of 1 latent frame). Every temporal convolution keeps the last frames of its input
// in a WanFeatCache slot, so the next chunk sees the frames before it; slots are handed out in call
// order, exactly as upstream's `feat_cache` / `feat_idx`. The temporal resamplers are where chunking
// is part of the model's definition: the first chunk passes them without a temporal convolution.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "framework/models/vae/wan_arch.h"

namespace vdf::vae {

// Causal state of one encoder or decoder pass over a clip.
struct WanFeatCache {
  enum class Kind { empty, rep, frames };  // rep: an upsampler after the first chunk (zeros before it)
  struct Slot {
    Kind kind = Kind::empty;
    torch::Tensor frames;  // the last input frames of the layer's previous chunk
  };
  std::vector<Slot> slots;
  size_t next = 0;
  void begin_chunk() { next = 0; }
  Slot& take() {
    if (next == slots.size()) slots.emplace_back();
    return slots[next++];
  }
};

// Conv3d padded causally in time (2 * p_t frames before, none after) and symmetrically in space.
// forward(x, past): `past` frames (from the cache) replace that many leading zero frames.
struct WanCausalConv3dImpl : torch::nn::Module {
  WanCausalConv3dImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                      std::vector<int64_t> padding);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& past = {});
  // The cached call of upstream's residual block / encoder / decoder: keeps the last 2 input frames.
  torch::Tensor forward_cached(const torch::Tensor& x, WanFeatCache& cache);
  torch::Tensor weight, bias;
  std::vector<int64_t> stride, space_padding;
  int64_t time_padding;  // zero frames before the input when there is no past
};
TORCH_MODULE(WanCausalConv3d);

// x / ||x||_2 over channels (dim 1) * sqrt(C) * gamma; computed in float32 for half inputs.
struct WanRmsNormImpl : torch::nn::Module {
  WanRmsNormImpl(int64_t dim, bool images);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor gamma;
  double scale;
};
TORCH_MODULE(WanRmsNorm);

struct WanResidualBlockImpl : torch::nn::Module {
  WanResidualBlockImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x, WanFeatCache& cache);
  WanRmsNorm norm1{nullptr}, norm2{nullptr};
  WanCausalConv3d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};  // shortcut only when in != out
};
TORCH_MODULE(WanResidualBlock);

// Single-head spatial self-attention within each frame.
struct WanAttentionBlockImpl : torch::nn::Module {
  explicit WanAttentionBlockImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);
  WanRmsNorm norm{nullptr};
  torch::nn::Conv2d to_qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(WanAttentionBlock);

// 2x spatial up/down sampling per frame, and for the *3d modes 2x in time through a causal conv.
enum class WanResampleMode { upsample2d, upsample3d, downsample2d, downsample3d };
struct WanResampleImpl : torch::nn::Module {
  WanResampleImpl(int64_t dim, WanResampleMode mode, int64_t upsample_out_dim);
  torch::Tensor forward(const torch::Tensor& x, WanFeatCache& cache);
  WanResampleMode mode;
  torch::nn::Sequential resample{nullptr};  // [0]: placeholder (upstream's pad / upsample), [1]: Conv2d
  torch::nn::Conv2d conv{nullptr};           // = resample[1]
  WanCausalConv3d time_conv{nullptr};        // *3d modes only
};
TORCH_MODULE(WanResample);

struct WanMidBlockImpl : torch::nn::Module {
  explicit WanMidBlockImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x, WanFeatCache& cache);
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};
};
TORCH_MODULE(WanMidBlock);

struct WanEncoder3dImpl : torch::nn::Module {
  explicit WanEncoder3dImpl(const WanVaeArch& arch);
  torch::Tensor forward(const torch::Tensor& x, WanFeatCache& cache);  // -> [B, 2 z_dim, t', h, w]
  WanCausalConv3d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};  // WanResidualBlock / WanAttentionBlock / WanResample, flat
  WanMidBlock mid_block{nullptr};
  WanRmsNorm norm_out{nullptr};
};
TORCH_MODULE(WanEncoder3d);

struct WanUpBlockImpl : torch::nn::Module {
  WanUpBlockImpl(int64_t in, int64_t out, int64_t num_res_blocks, bool upsample, bool temporal);
  torch::Tensor forward(const torch::Tensor& x, WanFeatCache& cache);
  torch::nn::ModuleList resnets{nullptr}, upsamplers{nullptr};  // upsamplers: empty or one WanResample
};
TORCH_MODULE(WanUpBlock);

struct WanDecoder3dImpl : torch::nn::Module {
  explicit WanDecoder3dImpl(const WanVaeArch& arch);
  torch::Tensor forward(const torch::Tensor& x, WanFeatCache& cache);  // -> [B, 3, t, H, W]
  WanCausalConv3d conv_in{nullptr}, conv_out{nullptr};
  WanMidBlock mid_block{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  WanRmsNorm norm_out{nullptr};
};
TORCH_MODULE(WanDecoder3d);

// The whole state dict of AutoencoderKLWan: encoder, quant_conv, post_quant_conv, decoder.
struct WanAutoencoderImpl : torch::nn::Module {
  explicit WanAutoencoderImpl(const WanVaeArch& arch);
  WanVaeArch arch;
  WanEncoder3d encoder{nullptr};
  WanCausalConv3d quant_conv{nullptr}, post_quant_conv{nullptr};
  WanDecoder3d decoder{nullptr};
};
TORCH_MODULE(WanAutoencoder);

}  // namespace vdf::vae
