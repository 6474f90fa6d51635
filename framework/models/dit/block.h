// One DiT block with adaLN-Zero modulation (DiT) and text cross-attention (PixArt-alpha):
//   shift1, scale1, gate1, shift2, scale2, gate2 = adaLN_modulation(c)       (Sequential: SiLU, Linear)
//   x += gate1 * attn(modulate(norm1(x), shift1, scale1))                  (self-attention, grouped by mode)
//   x += cross_attn(norm2(x), text, mask)                                   (norm2 has an affine)
//   x += gate2 * mlp(modulate(norm3(x), shift2, scale2))
// norm1/norm3 are LayerNorms without parameters (eps 1e-6).
#pragma once
#include <torch/torch.h>

#include "framework/models/dit/layers.h"
#include "framework/models/dit/patchify.h"

namespace vdf::dit {

// Which tokens attend to each other in the self-attention of a block.
enum class AttnMode { full, spatial, temporal };

// Per-forward inputs shared by all blocks.
struct BlockInputs {
  torch::Tensor c;          // [B, D] conditioning (timestep + pooled text)
  torch::Tensor text;       // [B, L, D] projected text tokens
  torch::Tensor text_mask;  // [B, L] bool
  torch::Tensor cos, sin;   // RoPE tables [N, head_dim] (undefined without RoPE)
  Grid grid{1, 1, 1};
};

struct DitBlockImpl : torch::nn::Module {
  DitBlockImpl(int64_t hidden, int64_t heads, int64_t mlp_inner, bool qk_norm, AttnMode mode);
  torch::Tensor forward(const torch::Tensor& x, const BlockInputs& in);
  // The same computation with each input given explicitly (used by gradient checkpointing).
  torch::Tensor forward_explicit(const torch::Tensor& x, const torch::Tensor& c, const torch::Tensor& text,
                                 const torch::Tensor& text_mask, const torch::Tensor& cos,
                                 const torch::Tensor& sin, const Grid& grid);

  AttnMode mode;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  SelfAttention attn{nullptr};
  CrossAttention cross_attn{nullptr};
  Mlp mlp{nullptr};
  torch::nn::Sequential adaLN_modulation{nullptr};
};
TORCH_MODULE(DitBlock);

// Runs block->forward(x, in) without keeping its activations: only the inputs are saved and the block
// is recomputed in backward (under the autocast state of the forward). Gradients equal the plain ones.
// offload: the block input x (the one per-block tensor kept) waits in host memory — pinned, copied
// asynchronously — until backward; on a CPU tensor it is kept as is (it already is in host memory).
torch::Tensor checkpointed_block(DitBlockImpl& block, const torch::Tensor& x, const BlockInputs& in,
                                 bool offload = false);

}  // namespace vdf::dit
