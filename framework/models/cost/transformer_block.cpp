#include "framework/models/cost/transformer_block.h"

namespace vdf::models {

// What autograd keeps for backward, per video token, op by op (D hidden, M MLP width, H heads). Views
// (reshape of contiguous tensors, chunks of qkv) share storage and are not counted again. Under bf16
// autocast LayerNorm runs in fp32 (its output, and the modulated tensor computed from it, are fp32) and
// matmuls save the bf16 copy of their fp32 input; RMSNorm computes in fp32 from an fp32 copy of its input.
void transformer_block_activations(const TransformerBlockShape& s, int64_t text_len, ActivationModel* out) {
  const double D = static_cast<double>(s.hidden), M = static_cast<double>(s.mlp_inner);
  const double H = static_cast<double>(s.heads), L = static_cast<double>(text_len);
  ElementCount t;  // per token

  // Self-attention branch.
  t.compute += D;                  // block input x (kept by norm1 and the residual)
  t.fp32 += 2;                     // norm1 mean and rstd
  t.fp32 += 2 * D;                 // norm1 output, modulated input (fp32 under autocast)
  t.compute_autocast += D;         // its bf16 copy saved by the qkv matmul
  t.compute += 3 * D;              // q, k, v (one qkv output or three projections)
  for (int qk = 0; qk < 2; ++qk) {
    if (s.qk_norm) {
      t.fp32_autocast += D;        // fp32 copy of q / k
      t.fp32 += D + H;             // normalized (before the scale) and the per-head rsqrt
      if (!s.rope) t.compute += D; // scaled output, saved by attention
    }
    if (s.rope) t.compute += D;    // rotated q / k (RoPE saves only its tables otherwise)
  }
  t.compute += s.rope_tables_per_token;
  // Fused SDPA keeps q, k, v, its output and the log-sum-exp. The output is laid out [B, L, heads, hd]
  // (flash kernels, CPU and CUDA), so heads -> tokens is a view, not a copy, for the output projection.
  t.compute += D;                  // attention output
  t.fp32 += H;                     // log-sum-exp
  t.compute += D;                  // projection output, saved by the gate multiply
  // Cross-attention branch.
  t.compute += D;                  // residual after self-attention (kept by norm2)
  t.fp32 += 2 + D;                 // norm2 statistics and output
  t.compute_autocast += D;         // bf16 copy for the query projection
  t.compute += D;                  // queries
  if (s.qk_norm) {
    t.fp32_autocast += D;
    t.fp32 += D + H;
    t.compute += D;                // normalized queries, saved by attention
  }
  t.compute += D;                  // attention output (heads -> tokens is a view, as above)
  t.fp32 += H;                     // log-sum-exp
  // MLP branch.
  t.compute += D;                  // residual after cross-attention (kept by norm3)
  t.fp32 += 2 + 2 * D;             // norm3 statistics, output and modulated input
  t.compute_autocast += D;         // bf16 copy for fc1
  t.compute += 2 * M;              // fc1 output (saved by GELU) and GELU output (saved by fc2)
  t.compute += D;                  // fc2 output, saved by the gate multiply
  out->block_per_token = t;

  // Per sample: text keys/values of the cross-attention (the projected text itself is shared by all
  // blocks and counted by the family) and the adaLN modulation.
  ElementCount smp;
  smp.compute += 2 * L * D;        // keys and values
  if (s.qk_norm) {
    smp.fp32_autocast += L * D;
    smp.fp32 += L * (D + H);
    smp.compute += L * D;
  }
  smp.compute += 7 * D;            // SiLU(c) and the 6 modulation vectors
  out->block_per_sample = smp;

  ElementCount in;
  in.compute = D;
  out->input_per_token = in;

  // While a block runs backward, autograd frees each node's saved tensors once the node has run, so
  // what exists beyond the saved tensors is the gradient flowing in plus the largest gradient being made
  // while its node's inputs are still held: the MLP-wide one (fc2's input gradient) and one more D.
  ElementCount bw;
  bw.compute = M + 2 * D;
  out->backward_per_token = bw;
}

}  // namespace vdf::models
