// Building blocks of the DiT: RMSNorm, timestep embedder, self- and cross-attention (all attention goes
// through at::scaled_dot_product_attention, so CUDA builds get the fused kernels), MLP.
// Submodule names are checkpoint keys; see docs/dit.md.
#pragma once
#include <torch/torch.h>

#include "framework/models/sequence_parallel.h"

namespace vdf::dit {

// RMSNorm over the last dim with a learned scale `weight` [dim]; computed in float32.
struct RMSNormImpl : torch::nn::Module {
  RMSNormImpl(int64_t dim, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

// x * (1 + scale) + shift, with shift/scale [B, D] broadcast over tokens.
torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale);

// Sinusoidal embedding of t [B] (DiT: [cos, sin] halves, max period 10000) -> [B, dim].
torch::Tensor timestep_frequencies(const torch::Tensor& t, int64_t dim, double max_period = 10000.0);

// DiT TimestepEmbedder: frequencies of (1000 t) -> mlp.0 Linear(256, D) -> SiLU -> mlp.2 Linear(D, D).
struct TimestepEmbedderImpl : torch::nn::Module {
  explicit TimestepEmbedderImpl(int64_t hidden, int64_t freq_dim = 256);
  torch::Tensor forward(const torch::Tensor& t);
  int64_t freq_dim;
  torch::nn::Sequential mlp;
};
TORCH_MODULE(TimestepEmbedder);

// Two-layer projection in -> D -> D with an activation between (`fc1`, `fc2`). act: "silu" | "gelu_tanh".
struct ProjectionImpl : torch::nn::Module {
  ProjectionImpl(int64_t in, int64_t hidden, int64_t out, std::string act);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  std::string act;
};
TORCH_MODULE(Projection);

// Multi-head self-attention: qkv, optional q_norm/k_norm (RMSNorm over the head dim), RoPE, proj.
// With `sequence_parallel` set (by DitImpl::set_sequence_parallel), x holds this rank's token slice and
// the attention over the whole sequence goes through it (Ulysses all-to-all).
struct SelfAttentionImpl : torch::nn::Module {
  SelfAttentionImpl(int64_t hidden, int64_t heads, bool qk_norm);
  // x [G, L, D]; cos/sin undefined (no RoPE) or broadcastable to [G, heads, L, head_dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
  int64_t heads, head_dim;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};
  models::SequenceParallel* sequence_parallel = nullptr;  // not owned (the DiT holds it)
};
TORCH_MODULE(SelfAttention);

// Cross-attention from video tokens to text tokens with a key mask. A row whose mask is all false
// (e.g. the null text of classifier-free guidance) attends to nothing: its output is exactly zero
// (the mask is opened for that row to keep softmax finite and the result is multiplied by 0).
struct CrossAttentionImpl : torch::nn::Module {
  CrossAttentionImpl(int64_t hidden, int64_t heads, bool qk_norm);
  // x [B, N, D], context [B, L, D], mask [B, L] bool (true = attend).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& mask);
  int64_t heads, head_dim;
  torch::nn::Linear q{nullptr}, kv{nullptr}, proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};
};
TORCH_MODULE(CrossAttention);

// Transformer MLP: fc1 -> GELU(tanh) -> fc2.
struct MlpImpl : torch::nn::Module {
  MlpImpl(int64_t hidden, int64_t inner);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

}  // namespace vdf::dit
