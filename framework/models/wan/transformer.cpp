#include "framework/models/wan/transformer.h"

#include <cmath>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/dit/layers.h"  // timestep_frequencies: diffusers' Timesteps(flip_sin_to_cos, shift 0)

namespace vdf::wan {

namespace {
config::DitConfig wan_resolved(const config::DitConfig& raw) {
  VDF_CHECK(raw.family == config::ModelFamily::wan, "Wan transformer built from a config with model.family = {}",
            config::enum_name(raw.family));
  raw.validate(config::Check("model"));
  config::DitConfig r = raw;
  r.wan = raw.wan.resolved();
  if (r.out_channels == 0) r.out_channels = r.in_channels;
  return r;
}

// Registers `module` under a dotted path (diffusers' nesting, e.g. condition_embedder.time_embedder.linear_1)
// by creating plain container modules for the intermediate names.
template <class M>
M register_nested(torch::nn::Module& root, const std::vector<std::string>& path, M module) {
  torch::nn::Module* parent = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    auto children = parent->named_children();
    if (auto* found = children.find(path[i])) {
      parent = found->get();
    } else {
      parent = parent->register_module(path[i], std::make_shared<torch::nn::Module>()).get();
    }
  }
  return parent->register_module(path.back(), module);
}
}  // namespace

WanTransformerImpl::WanTransformerImpl(const config::DitConfig& raw) : cfg_(wan_resolved(raw)) {
  const auto& w = cfg_.wan;
  const int64_t D = w.dim;
  const auto& p = cfg_.patch;
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv3d(torch::nn::Conv3dOptions(cfg_.in_channels, D, {p[0], p[1], p[2]}).stride({p[0], p[1], p[2]})));
  time_linear_1 = register_nested(*this, {"condition_embedder", "time_embedder", "linear_1"}, Linear(w.freq_dim, D));
  time_linear_2 = register_nested(*this, {"condition_embedder", "time_embedder", "linear_2"}, Linear(D, D));
  time_proj = register_nested(*this, {"condition_embedder", "time_proj"}, Linear(D, 6 * D));
  text_linear_1 = register_nested(*this, {"condition_embedder", "text_embedder", "linear_1"}, Linear(cfg_.text_dim, D));
  text_linear_2 = register_nested(*this, {"condition_embedder", "text_embedder", "linear_2"}, Linear(D, D));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < w.layers; ++i) blocks->push_back(Block(D, w.ffn_dim, w.heads, w.cross_attn_norm, w.eps));
  norm_out = register_module("norm_out", LayerNorm(D, w.eps, false));
  proj_out = register_module("proj_out", Linear(D, cfg_.out_channels * p[0] * p[1] * p[2]));
  scale_shift_table = register_parameter("scale_shift_table", torch::randn({1, 2, D}) / std::sqrt(double(D)));
  initialize_weights();
  VDF_INFO("Wan transformer: {:.2f}M parameters (dim {}, {} layers, {} heads, ffn {}, patch {}x{}x{})",
           wan_parameter_count(cfg_) / 1e6, D, w.layers, w.heads, w.ffn_dim, p[0], p[1], p[2]);
}

void WanTransformerImpl::initialize_weights() {
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false))
    if (auto* lin = m->as<LinearImpl>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      lin->bias.zero_();
    }
  // Patch embedding as a linear over flattened patches (Wan's init_weights).
  torch::nn::init::xavier_uniform_(patch_embedding->weight.view({patch_embedding->weight.size(0), -1}));
  patch_embedding->bias.zero_();
  for (Linear* l : {&text_linear_1, &text_linear_2, &time_linear_1, &time_linear_2})
    torch::nn::init::normal_((*l)->weight, 0.0, 0.02);
  proj_out->weight.zero_();
  proj_out->bias.zero_();
}

torch::Tensor WanTransformerImpl::forward(const torch::Tensor& x, const torch::Tensor& timestep,
                                          const torch::Tensor& context) {
  const auto& p = cfg_.patch;
  VDF_CHECK(x.defined() && x.dim() == 5 && x.size(1) == cfg_.in_channels, "Wan: input must be [B, {}, T, H, W], got {}",
            cfg_.in_channels, x.defined() ? c10::str(x.sizes()) : std::string("undefined"));
  const int64_t B = x.size(0);
  VDF_CHECK(x.size(2) % p[0] == 0 && x.size(3) % p[1] == 0 && x.size(4) % p[2] == 0,
            "Wan: latent size {} is not divisible by model.patch [{}, {}, {}]", c10::str(x.sizes()), p[0], p[1], p[2]);
  VDF_CHECK(timestep.defined() && timestep.dim() == 1 && timestep.size(0) == B, "Wan: timestep must be [{}]", B);
  VDF_CHECK(context.defined() && context.dim() == 3 && context.size(0) == B && context.size(2) == cfg_.text_dim,
            "Wan: text must be [{}, L, {}], got {}", B, cfg_.text_dim,
            context.defined() ? c10::str(context.sizes()) : std::string("undefined"));
  const auto& w = cfg_.wan;
  const int64_t f = x.size(2) / p[0], h = x.size(3) / p[1], wd = x.size(4) / p[2];
  VDF_CHECK(f <= w.rope_max_seq_len && h <= w.rope_max_seq_len && wd <= w.rope_max_seq_len,
            "Wan: patch grid {}x{}x{} exceeds model.wan.rope_max_seq_len {}", f, h, wd, w.rope_max_seq_len);
  auto [cos, sin] = rope_tables(w.head_dim(), f, h, wd, w.rope_theta);
  cos = cos.to(x.device());
  sin = sin.to(x.device());

  auto hs = patch_embedding(x).flatten(2).transpose(1, 2).contiguous();  // [B, N, dim]
  // Time embedding (diffusers WanTimeTextImageEmbedding): temb feeds the output modulation, its SiLU
  // projection to 6 dim the blocks'.
  auto freqs = dit::timestep_frequencies(timestep, w.freq_dim).to(time_linear_1->weight.scalar_type());
  auto temb = time_linear_2(torch::silu(time_linear_1(freqs))).to(context.scalar_type());
  auto tproj = time_proj(torch::silu(temb)).unflatten(1, {6, -1});  // [B, 6, dim]
  auto ctx = text_linear_2(torch::gelu(text_linear_1(context), "tanh"));

  const bool ckpt = cfg_.grad_checkpointing && is_training();
  for (auto& b : *blocks) {
    auto* blk = b->as<BlockImpl>();
    hs = ckpt ? checkpointed_block(*blk, hs, ctx, tproj, cos, sin) : blk->forward(hs, ctx, tproj, cos, sin);
  }
  auto mod = (scale_shift_table.to(torch::kFloat32) + temb.to(torch::kFloat32).unsqueeze(1)).chunk(2, 1);
  hs = (norm_out(hs) * (1 + mod[1]) + mod[0]).to(hs.scalar_type());
  hs = proj_out(hs);  // [B, N, pt*ph*pw*C]
  hs = hs.reshape({B, f, h, wd, p[0], p[1], p[2], -1}).permute({0, 7, 1, 4, 2, 5, 3, 6});
  return hs.reshape({B, -1, f * p[0], h * p[1], wd * p[2]});
}

torch::Tensor WanTransformerImpl::denoise(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& text,
                                          const torch::Tensor& text_mask) {
  VDF_CHECK(text.defined() && text.dim() == 3, "Wan: text must be [B, L, {}]", cfg_.text_dim);
  VDF_CHECK(text_mask.defined() && text_mask.dim() == 2 && text_mask.size(0) == text.size(0) &&
                text_mask.size(1) == text.size(1),
            "Wan: text_mask must be [{}, {}]", text.size(0), text.size(1));
  const int64_t L = text.size(1), pad_to = cfg_.wan.text_len;
  VDF_CHECK(pad_to == 0 || L <= pad_to, "Wan: text length {} exceeds model.wan.text_len {}", L, pad_to);
  auto ctx = text * text_mask.unsqueeze(-1).to(text.scalar_type());
  if (pad_to > L) ctx = torch::constant_pad_nd(ctx, {0, 0, 0, pad_to - L});
  return forward(x, t * 1000.0, ctx);
}

int64_t wan_parameter_count(const config::DitConfig& raw) {
  config::DitConfig c = raw;
  c.wan = raw.wan.resolved();
  const int64_t D = c.wan.dim, F = c.wan.ffn_dim, P = c.patch[0] * c.patch[1] * c.patch[2];
  const int64_t out = c.out_channels ? c.out_channels : c.in_channels;
  auto lin = [](int64_t in, int64_t o) { return in * o + o; };
  int64_t n = c.in_channels * P * D + D;                                 // patch embedding
  n += lin(c.wan.freq_dim, D) + lin(D, D) + lin(D, 6 * D);              // time
  n += lin(c.text_dim, D) + lin(D, D);                                   // text
  const int64_t block = 2 * (4 * lin(D, D) + 2 * D) + (c.wan.cross_attn_norm ? 2 * D : 0) + lin(D, F) + lin(F, D) + 6 * D;
  n += c.wan.layers * block;
  n += lin(D, out * P) + 2 * D;
  return n;
}

}  // namespace vdf::wan
