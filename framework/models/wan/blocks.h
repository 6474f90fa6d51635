// Building blocks of the Wan 2.1 transformer, named as diffusers' WanTransformer3DModel names them
// (those names are the checkpoint keys; the original WanModel names are mapped in weights.h):
//   attention      to_q, to_k, to_v, to_out.0, norm_q, norm_k (RMSNorm over all heads together)
//   feed-forward   net.0.proj -> GELU(tanh) -> net.2
//   block          norm1 (LayerNorm, no affine) -> modulated self-attention with 3D RoPE, gated
//                  norm2 (affine LayerNorm)     -> text cross-attention (no mask: padding is zeros)
//                  norm3 (LayerNorm, no affine) -> modulated FFN, gated
//                  modulation = scale_shift_table [1, 6, dim] + the shared time projection [B, 6, dim]
// Formulas: docs/models.md "Wan 2.1".
#pragma once
#include <torch/torch.h>

#include <array>
#include <vector>

#include "framework/models/wan/linear.h"

namespace vdf::wan {

// Wan's split of the head dim over the (t, h, w) axes: h = w = 2 * (head_dim / 6), t = the rest.
std::array<int64_t, 3> rope_split(int64_t head_dim);
// RoPE tables for a patch grid (f, h, w): cos and sin, [1, f*h*w, 1, head_dim / 2] float32, token order
// (f, h, w) row-major. Angles are computed in float64 (as diffusers does).
std::pair<torch::Tensor, torch::Tensor> rope_tables(int64_t head_dim, int64_t f, int64_t h, int64_t w, double theta);
// Rotates consecutive pairs (x[2i], x[2i+1]) of x [B, S, H, head_dim] by the table angles.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// LayerNorm over the last dim computed in float32, optional affine (FP32LayerNorm of diffusers).
struct LayerNormImpl : torch::nn::Module {
  LayerNormImpl(int64_t dim, double eps, bool affine);
  torch::Tensor forward(const torch::Tensor& x);  // returns float32
  torch::Tensor weight, bias;                     // undefined without affine
  int64_t dim;
  double eps;
};
TORCH_MODULE(LayerNorm);

// RMSNorm over the last dim with a learned scale (torch.nn.RMSNorm).
struct RMSNormImpl : torch::nn::Module {
  RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

struct AttentionImpl : torch::nn::Module {
  AttentionImpl(int64_t dim, int64_t heads, double eps);
  // x [B, S, dim]; context [B, L, dim] for cross-attention (undefined: self-attention); cos/sin RoPE
  // tables (undefined: none).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& cos,
                        const torch::Tensor& sin);
  int64_t heads;
  Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};  // [0] = output Linear (diffusers' to_out.1 is a no-op Dropout)
  RMSNorm norm_q{nullptr}, norm_k{nullptr};
};
TORCH_MODULE(Attention);

struct FeedForwardImpl : torch::nn::Module {
  FeedForwardImpl(int64_t dim, int64_t inner);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::ModuleList net{nullptr};  // net.0.proj, net.1 (no-op Dropout), net.2
  Linear proj_in{nullptr}, proj_out{nullptr};
};
TORCH_MODULE(FeedForward);

struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t dim, int64_t ffn_dim, int64_t heads, bool cross_attn_norm, double eps);
  // x [B, S, dim]; context [B, L, dim] (projected text); time_proj [B, 6, dim].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& time_proj,
                        const torch::Tensor& cos, const torch::Tensor& sin);
  // parameters() plus the LoRA adapter parameters of its linear layers (what gradient checkpointing
  // must differentiate).
  std::vector<torch::Tensor> trainable_tensors();

  LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Attention attn1{nullptr}, attn2{nullptr};
  FeedForward ffn{nullptr};
  torch::Tensor scale_shift_table;  // [1, 6, dim]
  bool cross_attn_norm;
};
TORCH_MODULE(Block);

// Runs block.forward without keeping its activations; it is recomputed in backward (same gradients).
torch::Tensor checkpointed_block(BlockImpl& block, const torch::Tensor& x, const torch::Tensor& context,
                                 const torch::Tensor& time_proj, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace vdf::wan
