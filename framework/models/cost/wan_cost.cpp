#include "framework/models/cost/wan_cost.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/core/error.h"
#include "framework/models/cost/transformer_block.h"

namespace vdf::models {

namespace {

const std::vector<WanShape>& wan_shape_table() {
  static const std::vector<WanShape> table = {
      {"wan2.1-1.3b", 1536, 30, 12, 8960},
      {"wan2.1-14b", 5120, 40, 40, 13824},
  };
  return table;
}

class WanCost : public ModelCost {
 public:
  explicit WanCost(WanShape s) : s_(std::move(s)) {}

  std::string name() const override {
    return fmt::format("{} (dim {}, {} layers, {} heads, ffn {})", s_.name, s_.dim, s_.layers, s_.heads, s_.ffn);
  }
  int64_t patch_volume() const { return s_.patch[0] * s_.patch[1] * s_.patch[2]; }
  int64_t block_parameters() const override {
    const int64_t D = s_.dim, F = s_.ffn;
    return 8 * (D * D + D)      // self- and cross-attention q, k, v, out
           + 4 * D              // norm_q, norm_k of both attentions (across heads: width D)
           + 2 * D              // norm2 (affine cross-attention norm)
           + D * F + F + F * D + D  // FFN
           + 6 * D;             // scale_shift_table
  }
  int64_t parameters() const override {
    const int64_t D = s_.dim, P = patch_volume();
    auto lin = [](int64_t in, int64_t out) { return in * out + out; };
    return s_.layers * block_parameters() + lin(s_.in_channels * P, D)  // patch embedding (Conv3d)
           + lin(s_.freq_dim, D) + lin(D, D)                              // time embedder
           + lin(D, 6 * D)                                                 // time projection
           + lin(s_.text_dim, D) + lin(D, D)                               // text embedder
           + lin(D, s_.out_channels * P) + 2 * D;                          // proj_out, scale_shift_table
  }
  int64_t depth() const override { return s_.layers; }
  int64_t heads() const override { return s_.heads; }
  int64_t hidden() const override { return s_.dim; }
  int64_t tokens(const std::vector<int64_t>& c) const override {
    VDF_CHECK(c.size() == 4, "{}: latent shape must be [C, T, H, W]", s_.name);
    int64_t n = 1;
    for (int i = 0; i < 3; ++i) n *= (c[i + 1] + s_.patch[i] - 1) / s_.patch[i];
    return n;
  }
  double block_forward_flops(const std::vector<int64_t>& c, int64_t text_len) const override {
    const double N = static_cast<double>(tokens(c)), L = static_cast<double>(text_len);
    const double D = static_cast<double>(s_.dim), F = static_cast<double>(s_.ffn);
    const double per_block = 2 * N * D * D * 4 + 4 * N * N * D   // self-attention projections, scores + values
                             + 2 * N * D * D * 2 + 2 * L * D * D * 2 + 4 * N * L * D  // cross-attention
                             + 2 * N * D * F * 2;                                  // FFN
    return per_block * static_cast<double>(s_.layers);
  }
  double forward_flops(const std::vector<int64_t>& c, int64_t text_len) const override {
    const double N = static_cast<double>(tokens(c)), L = static_cast<double>(text_len);
    const double D = static_cast<double>(s_.dim), P = static_cast<double>(patch_volume());
    return block_forward_flops(c, text_len) + 2 * N * s_.in_channels * P * D + 2 * N * D * s_.out_channels * P +
           2 * L * (static_cast<double>(s_.text_dim) * D + D * D);
  }
  ActivationModel activations(int64_t text_len) const override {
    ActivationModel a;
    TransformerBlockShape b;
    b.hidden = s_.dim;
    b.mlp_inner = s_.ffn;
    b.heads = s_.heads;
    b.qk_norm = true;
    b.rope = true;
    transformer_block_activations(b, text_len, &a);
    const double D = static_cast<double>(s_.dim), P = static_cast<double>(patch_volume());
    const double Cin = static_cast<double>(s_.in_channels) * P, Cout = static_cast<double>(s_.out_channels) * P;
    ElementCount o;  // the same accounting as the DiT's embedding, head and loss (dit_cost.cpp)
    o.fp32 += 3 * Cin;
    o.compute_autocast += Cin;
    o.compute += 2 * D;
    o.fp32 += 2 + 2 * D;
    o.compute_autocast += D;
    o.compute += 2 * Cout;
    o.fp32 += 2 * Cout;
    a.outside_per_token = o;
    ElementCount ps;
    const double L = static_cast<double>(text_len);
    ps.fp32 += L * static_cast<double>(s_.text_dim);
    ps.compute_autocast += L * static_cast<double>(s_.text_dim);
    ps.compute += 3 * L * D;
    a.outside_per_sample = ps;
    return a;
  }

 private:
  WanShape s_;
};

}  // namespace

WanShape wan_shape(const std::string& name) {
  for (const auto& s : wan_shape_table())
    if (s.name == name) return s;
  fail("unknown Wan shape '{}': known are {}", name, fmt::join(wan_shape_names(), ", "));
}

std::vector<std::string> wan_shape_names() {
  std::vector<std::string> names;
  for (const auto& s : wan_shape_table()) names.push_back(s.name);
  return names;
}

std::unique_ptr<ModelCost> wan_cost(const WanShape& shape) { return std::make_unique<WanCost>(shape); }

}  // namespace vdf::models
