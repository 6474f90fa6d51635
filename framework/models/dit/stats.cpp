#include "framework/models/dit/stats.h"

#include <fmt/format.h>

#include "framework/core/error.h"

namespace vdf::dit {

std::string DitStats::describe() const {
  return fmt::format("DiT {:.2f}M params; batch {} x {} video tokens, {} text tokens; {:.4g} GFLOP/forward "
                     "({:.1f}% attention), {:.4g} GFLOP/train step",
                     params / 1e6, batch, tokens, text_len, flops_forward / 1e9,
                     flops_forward > 0 ? 100.0 * attention_flops / flops_forward : 0.0, flops_train_step() / 1e9);
}

DitStats dit_stats(const config::DitConfig& raw, const std::vector<int64_t>& shape, int64_t text_len) {
  const config::DitConfig cfg = raw.resolved();
  const int64_t D = cfg.hidden, C = cfg.in_channels, Co = cfg.out_channels, Dh = cfg.head_dim();
  const int64_t P = cfg.patch[0] * cfg.patch[1] * cfg.patch[2];
  const int64_t M = static_cast<int64_t>(D * cfg.mlp_ratio);
  const int64_t Dt = cfg.text_dim, Dp = cfg.pooled_dim, F = 256;
  auto lin = [](int64_t in, int64_t out) { return in * out + out; };

  DitStats s;
  s.params = lin(P * C, D) + lin(F, D) + lin(D, D) + lin(Dt, D) + lin(D, D);
  if (Dp > 0) s.params += lin(Dp, D) + lin(D, D);
  int64_t per_block = lin(D, 6 * D) + lin(D, 3 * D) + lin(D, D) + 2 * D /*norm2*/ + lin(D, D) + lin(D, 2 * D) +
                      lin(D, D) + lin(D, M) + lin(M, D);
  if (cfg.qk_norm) per_block += 4 * Dh;
  s.params += cfg.depth * per_block + lin(D, 2 * D) + lin(D, P * Co);
  s.block_params = per_block;

  if (shape.empty()) return s;
  VDF_CHECK(shape.size() == 4 || shape.size() == 5, "dit_stats: latent shape needs 4 or 5 dims, got {}",
            shape.size());
  const size_t o = shape.size() == 5 ? 1 : 0;
  s.batch = shape.size() == 5 ? shape[0] : 1;
  const int64_t T = (shape[o + 1] + cfg.patch[0] - 1) / cfg.patch[0];
  const int64_t H = shape[o + 2] / cfg.patch[1], W = shape[o + 3] / cfg.patch[2];
  const double N = static_cast<double>(T * H * W), L = static_cast<double>(text_len);
  s.tokens = T * H * W;
  s.text_len = text_len;
  auto mm = [](double rows, double in, double out) { return 2.0 * rows * in * out; };

  double f = mm(N, P * C, D) + mm(1, F, D) + mm(1, D, D) + mm(L, Dt, D) + mm(L, D, D);
  if (Dp > 0) f += mm(1, Dp, D) + mm(1, D, D);
  double attn = 0;
  const double outside = f;
  for (int64_t i = 0; i < cfg.depth; ++i) {
    double ctx = N;  // keys per query in self-attention
    if (cfg.attention == config::AttentionLayout::factorized) ctx = (i % 2 == 0) ? static_cast<double>(H * W) : static_cast<double>(T);
    const double self_attn = 4.0 * N * ctx * D;   // QK^T and AV
    const double cross_attn = 4.0 * N * L * D;
    attn += self_attn + cross_attn;
    f += mm(1, D, 6 * D) + mm(N, D, 3 * D) + self_attn + mm(N, D, D)   // adaLN, qkv, attention, proj
         + mm(N, D, D) + mm(L, D, 2 * D) + cross_attn + mm(N, D, D)     // cross q, kv, attention, proj
         + mm(N, D, M) + mm(N, M, D);                                   // MLP
  }
  const double blocks = f - outside;
  f += mm(1, D, 2 * D) + mm(N, D, P * Co);
  s.flops_forward = f * s.batch;
  s.attention_flops = attn * s.batch;
  s.block_flops = blocks * s.batch;
  return s;
}

}  // namespace vdf::dit
