// The video DiT of vdf: 3D patchify -> transformer blocks with adaLN-Zero (timestep + pooled text),
// cross-attention to text tokens, full or factorized (Latte) self-attention with 3D RoPE or sin-cos
// positions -> final adaLN layer -> unpatchify. Configured by config::DitConfig (section `model`).
// Architecture, parameter names (= safetensors keys) and formulas: docs/dit.md.
//
// Top-level submodules (checkpoint key prefixes):
//   x_embedder.proj       Linear(C*pt*ph*pw, D)    patch embedding (= Conv3d, see patchify.h)
//   t_embedder.mlp.{0,2}  timestep MLP             (DiT)
//   pooled_embedder.fc{1,2} pooled text -> D, added to the timestep embedding (absent if pooled_dim = 0)
//   text_embedder.fc{1,2} text tokens -> D          (PixArt caption projection, GELU-tanh)
//   blocks.{i}.*          see block.h
//   final_layer.{adaLN_modulation.1, linear}      (DiT FinalLayer; norm_final has no parameters)
#pragma once
#include <torch/torch.h>

#include <map>
#include <mutex>
#include <vector>

#include "framework/config/schema/model.h"
#include "framework/models/block_loop.h"
#include "framework/models/sequence_parallel.h"
#include "framework/models/dit/block.h"
#include "framework/models/dit/layers.h"
#include "framework/models/dit/patchify.h"
#include "framework/models/dit/stats.h"

namespace vdf::dit {

// x_embedder: Linear over patchified tokens (module "proj").
struct PatchEmbedImpl : torch::nn::Module {
  PatchEmbedImpl(int64_t in, int64_t hidden) { proj = register_module("proj", torch::nn::Linear(in, hidden)); }
  torch::Tensor forward(const torch::Tensor& tokens) { return proj(tokens); }
  torch::nn::Linear proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

struct FinalLayerImpl : torch::nn::Module {
  FinalLayerImpl(int64_t hidden, int64_t out);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c);
  torch::nn::LayerNorm norm_final{nullptr};
  torch::nn::Sequential adaLN_modulation{nullptr};
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(FinalLayer);

struct DitImpl : torch::nn::Module, models::BlockLoop {
  // `cfg` is resolved (preset applied) and validated here. With a latent shape [C, T, H, W] (and a text
  // length) the FLOP count is logged too; the parameter count is always logged.
  explicit DitImpl(const config::DitConfig& cfg, const std::vector<int64_t>& latent_shape = {},
                   int64_t text_len = 0);

  // x [B, C, T, H, W]; t [B] float (flow time in [0, 1], or DDPM timestep / num_train_timesteps);
  // text [B, L, text_dim]; text_mask [B, L] bool (true = real token); pooled [B, pooled_dim] (may be
  // undefined when pooled_dim = 0). Returns [B, out_channels, T, H, W].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& text,
                        const torch::Tensor& text_mask, const torch::Tensor& pooled);

  // DiT initialization (xavier-uniform linears, zero biases, N(0, 0.02) embedder MLPs, zero adaLN
  // modulation, zero cross-attention output and final layer): a fresh model outputs exactly zero.
  void initialize_weights();

  const config::DitConfig& config() const { return cfg_; }
  // Attention mode of block i (full, or spatial/temporal alternating when factorized).
  AttnMode block_mode(int64_t i) const;
  // models::BlockLoop (sharded data parallel watches the block loop through it).
  int64_t num_blocks() const override { return cfg_.depth; }
  // Sequence parallelism (framework/models/sequence_parallel.h): each rank of the group runs the blocks
  // on its slice of every sample's tokens. Needs model.attention full and heads divisible by the degree
  // (vdf::Error otherwise); the token count is checked per forward. nullptr: off.
  void set_sequence_parallel(std::shared_ptr<models::SequenceParallel> sp);
  std::string block_path(int64_t index) const override { return "blocks." + std::to_string(index); }

  PatchEmbed x_embedder{nullptr};
  TimestepEmbedder t_embedder{nullptr};
  Projection pooled_embedder{nullptr};
  Projection text_embedder{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  FinalLayer final_layer{nullptr};

 private:
  // Positional tables for a grid, cached per (grid, device).
  const std::vector<torch::Tensor>& positional(const Grid& grid, const torch::Device& device);

  config::DitConfig cfg_;
  std::shared_ptr<models::SequenceParallel> sequence_parallel_;
  Patch patch_{1, 1, 1};
  std::map<std::string, std::vector<torch::Tensor>> pos_cache_;
  std::mutex pos_mutex_;
};
TORCH_MODULE(Dit);

}  // namespace vdf::dit
