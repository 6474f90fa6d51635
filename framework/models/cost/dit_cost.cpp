#include "framework/models/cost/dit_cost.h"

#include <fmt/format.h>

#include "framework/models/cost/transformer_block.h"
#include "framework/models/dit/stats.h"

namespace vdf::models {

namespace {

class DitCost : public ModelCost {
 public:
  explicit DitCost(const config::DitConfig& m) : cfg_(m.resolved()), stats_(dit::dit_stats(cfg_, {}, 0)) {}

  std::string name() const override {
    return fmt::format("DiT{} (hidden {}, depth {}, heads {}, patch {}x{}x{})",
                       cfg_.preset.empty() ? std::string() : "-" + cfg_.preset, cfg_.hidden, cfg_.depth, cfg_.heads,
                       cfg_.patch[0], cfg_.patch[1], cfg_.patch[2]);
  }
  int64_t parameters() const override { return stats_.params; }
  int64_t block_parameters() const override { return stats_.block_params; }
  int64_t depth() const override { return cfg_.depth; }
  int64_t heads() const override { return cfg_.heads; }
  int64_t hidden() const override { return cfg_.hidden; }
  int64_t tokens(const std::vector<int64_t>& cthw) const override { return dit::dit_stats(cfg_, cthw, 0).tokens; }
  double forward_flops(const std::vector<int64_t>& cthw, int64_t text_len) const override {
    return dit::dit_stats(cfg_, cthw, text_len).flops_forward;
  }
  double block_forward_flops(const std::vector<int64_t>& cthw, int64_t text_len) const override {
    return dit::dit_stats(cfg_, cthw, text_len).block_flops;
  }

  ActivationModel activations(int64_t text_len) const override {
    ActivationModel a;
    TransformerBlockShape s;
    s.hidden = cfg_.hidden;
    s.mlp_inner = static_cast<int64_t>(cfg_.hidden * cfg_.mlp_ratio);
    s.heads = cfg_.heads;
    s.qk_norm = cfg_.qk_norm;
    s.rope = cfg_.pos_embed == config::PosEmbed::rope3d;
    // Factorized blocks regroup tokens: the RoPE tables are repeated per group (cos and sin, head dim each).
    if (s.rope && cfg_.attention == config::AttentionLayout::factorized) s.rope_tables_per_token = 2 * cfg_.head_dim();
    transformer_block_activations(s, text_len, &a);
    if (cfg_.attention == config::AttentionLayout::factorized) a.block_per_token.compute += cfg_.hidden;  // temporal regrouping copies (half the blocks, two copies)

    const double D = static_cast<double>(cfg_.hidden);
    const double P = static_cast<double>(cfg_.patch[0] * cfg_.patch[1] * cfg_.patch[2]);
    const double Cin = static_cast<double>(cfg_.in_channels) * P, Cout = static_cast<double>(cfg_.out_channels) * P;
    ElementCount o;
    o.fp32 += 3 * Cin;             // clean latents, noise and the noisy input of the objective (float32 data)
    o.compute += Cin;              // patchified input, saved by the patch embedding
    o.compute_autocast += Cin;
    o.compute += D;                // embedded tokens (plus the sin-cos table sum when used)
    if (cfg_.pos_embed == config::PosEmbed::sincos3d) o.compute += D;
    o.compute += D;                // last block output, kept by the final norm
    o.fp32 += 2 + 2 * D;           // final norm statistics, output and modulated input
    o.compute_autocast += D;
    o.compute += 2 * Cout;         // final linear output and its unpatchified copy
    o.fp32 += 2 * Cout;            // target and the difference saved by the squared error
    a.outside_per_token = o;

    ElementCount ps;
    const double L = static_cast<double>(text_len), Dt = static_cast<double>(cfg_.text_dim);
    ps.fp32 += L * Dt;             // text embeddings (data)
    ps.compute_autocast += L * Dt;
    ps.compute += 3 * L * D;       // text projection: fc1 output, GELU output, projected tokens
    a.outside_per_sample = ps;
    return a;
  }

 private:
  config::DitConfig cfg_;
  dit::DitStats stats_;
};

}  // namespace

std::unique_ptr<ModelCost> dit_cost(const config::DitConfig& model) { return std::make_unique<DitCost>(model); }

}  // namespace vdf::models
