// Activation model of the block both the vdf DiT and Wan 2.1 use: adaLN-modulated LayerNorm ->
// self-attention (optional q/k RMSNorm, optional RoPE, fused SDPA) -> gated residual -> LayerNorm ->
// text cross-attention -> residual -> modulated LayerNorm -> GELU MLP -> gated residual. Counted tensor by
// tensor from what autograd saves for backward (see transformer_block.cpp); checked against the
// allocator's measured peak in tests/train/test_preflight.cpp.
#pragma once
#include <cstdint>

#include "framework/models/cost/model_cost.h"

namespace vdf::models {

struct TransformerBlockShape {
  int64_t hidden = 0;      // D
  int64_t mlp_inner = 0;   // M
  int64_t heads = 0;
  bool qk_norm = true;     // RMSNorm on queries and keys (self- and cross-attention)
  bool rope = true;        // rotary positions applied to q and k of self-attention
  int64_t rope_tables_per_token = 0;  // elements of cos/sin tables materialized per token and block (factorized layouts)
};

// Fills block_per_token, block_per_sample, input_per_token and backward_per_token of an ActivationModel.
void transformer_block_activations(const TransformerBlockShape& s, int64_t text_len, ActivationModel* out);

}  // namespace vdf::models
