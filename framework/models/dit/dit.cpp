#include "framework/models/dit/dit.h"

#include <fmt/format.h>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/dit/pos_embed.h"

namespace vdf::dit {

FinalLayerImpl::FinalLayerImpl(int64_t hidden, int64_t out) {
  norm_final = register_module(
      "norm_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).elementwise_affine(false).eps(1e-6)));
  adaLN_modulation = register_module(
      "adaLN_modulation", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(hidden, 2 * hidden)));
  linear = register_module("linear", torch::nn::Linear(hidden, out));
}

torch::Tensor FinalLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& c) {
  auto mod = adaLN_modulation->forward(c).chunk(2, 1);
  return linear(modulate(norm_final(x), mod[0], mod[1]));
}

DitImpl::DitImpl(const config::DitConfig& raw, const std::vector<int64_t>& latent_shape, int64_t text_len) {
  raw.validate(config::Check("model"));
  cfg_ = raw.resolved();
  const int64_t D = cfg_.hidden;
  patch_ = {cfg_.patch[0], cfg_.patch[1], cfg_.patch[2]};
  const int64_t P = patch_[0] * patch_[1] * patch_[2];
  x_embedder = register_module("x_embedder", PatchEmbed(cfg_.in_channels * P, D));
  t_embedder = register_module("t_embedder", TimestepEmbedder(D));
  if (cfg_.pooled_dim > 0)
    pooled_embedder = register_module("pooled_embedder", Projection(cfg_.pooled_dim, D, D, "silu"));
  text_embedder = register_module("text_embedder", Projection(cfg_.text_dim, D, D, "gelu_tanh"));
  blocks = register_module("blocks", torch::nn::ModuleList());
  const auto inner = static_cast<int64_t>(D * cfg_.mlp_ratio);
  for (int64_t i = 0; i < cfg_.depth; ++i)
    blocks->push_back(DitBlock(D, cfg_.heads, inner, cfg_.qk_norm, block_mode(i)));
  final_layer = register_module("final_layer", FinalLayer(D, P * cfg_.out_channels));
  initialize_weights();

  const DitStats stats = dit_stats(cfg_, latent_shape, text_len);
  if (latent_shape.empty())
    VDF_INFO("DiT: {:.2f}M parameters (hidden {}, depth {}, heads {}, patch {}x{}x{}, {} attention, {})",
             stats.params / 1e6, D, cfg_.depth, cfg_.heads, patch_[0], patch_[1], patch_[2], config::enum_name(cfg_.attention),
             config::enum_name(cfg_.pos_embed));
  else
    VDF_INFO("{}", stats.describe());
}

AttnMode DitImpl::block_mode(int64_t i) const {
  if (cfg_.attention == config::AttentionLayout::full) return AttnMode::full;
  return i % 2 == 0 ? AttnMode::spatial : AttnMode::temporal;
}

void DitImpl::initialize_weights() {
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      if (lin->bias.defined()) lin->bias.zero_();
    }
  }
  auto normal = [](torch::nn::Linear& l) { torch::nn::init::normal_(l->weight, 0.0, 0.02); };
  auto seq_linear = [](torch::nn::Sequential& s, int idx) { return s[idx]->as<torch::nn::Linear>(); };
  torch::nn::init::normal_(seq_linear(t_embedder->mlp, 0)->weight, 0.0, 0.02);
  torch::nn::init::normal_(seq_linear(t_embedder->mlp, 2)->weight, 0.0, 0.02);
  if (pooled_embedder) normal(pooled_embedder->fc1), normal(pooled_embedder->fc2);
  normal(text_embedder->fc1);
  normal(text_embedder->fc2);
  for (auto& b : *blocks) {
    auto* blk = b->as<DitBlockImpl>();
    auto* ada = seq_linear(blk->adaLN_modulation, 1);
    ada->weight.zero_();
    ada->bias.zero_();
    blk->cross_attn->proj->weight.zero_();
    blk->cross_attn->proj->bias.zero_();
  }
  auto* fada = seq_linear(final_layer->adaLN_modulation, 1);
  fada->weight.zero_();
  fada->bias.zero_();
  final_layer->linear->weight.zero_();
  final_layer->linear->bias.zero_();
}

void DitImpl::set_sequence_parallel(std::shared_ptr<models::SequenceParallel> sp) {
  if (sp && sp->degree() > 1) {
    VDF_CHECK(cfg_.attention == config::AttentionLayout::full,
              "distributed.sequence_parallel {} needs model.attention full (factorized attention groups tokens "
              "by frame/position, which a token split would cut)", sp->degree());
    VDF_CHECK(cfg_.heads % sp->degree() == 0,
              "distributed.sequence_parallel {} must divide model.heads {} (Ulysses splits the heads over the "
              "ranks of a sequence group)", sp->degree(), cfg_.heads);
  }
  sequence_parallel_ = sp && sp->degree() > 1 ? std::move(sp) : nullptr;
  for (auto& b : *blocks) b->as<DitBlockImpl>()->attn->sequence_parallel = sequence_parallel_.get();
}

const std::vector<torch::Tensor>& DitImpl::positional(const Grid& g, const torch::Device& device) {
  const std::string key = fmt::format("{}x{}x{}@{}", g[0], g[1], g[2], device.str());
  std::lock_guard<std::mutex> lock(pos_mutex_);
  auto it = pos_cache_.find(key);
  if (it != pos_cache_.end()) return it->second;
  std::vector<torch::Tensor> tables;
  if (cfg_.pos_embed == config::PosEmbed::sincos3d) {
    tables.push_back(sincos_3d(cfg_.hidden, g).unsqueeze(0).to(device));
  } else {
    Rope r = rope_3d(cfg_.rope_axes, g, cfg_.rope_theta);
    tables.push_back(r.cos.to(device));
    tables.push_back(r.sin.to(device));
  }
  return pos_cache_.emplace(key, std::move(tables)).first->second;
}

torch::Tensor DitImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& text,
                               const torch::Tensor& text_mask, const torch::Tensor& pooled) {
  VDF_CHECK(x.defined() && x.dim() == 5 && x.size(1) == cfg_.in_channels,
            "DiT: input must be [B, {}, T, H, W], got {}", cfg_.in_channels,
            x.defined() ? c10::str(x.sizes()) : std::string("undefined"));
  const int64_t B = x.size(0), T_in = x.size(2);
  VDF_CHECK(t.defined() && t.dim() == 1 && t.size(0) == B, "DiT: t must be [{}], got {}", B,
            t.defined() ? c10::str(t.sizes()) : std::string("undefined"));
  VDF_CHECK(text.defined() && text.dim() == 3 && text.size(0) == B && text.size(2) == cfg_.text_dim,
            "DiT: text must be [{}, L, {}], got {}", B, cfg_.text_dim,
            text.defined() ? c10::str(text.sizes()) : std::string("undefined"));
  const int64_t L = text.size(1);
  VDF_CHECK(L <= cfg_.max_text_len, "DiT: text length {} exceeds model.max_text_len {}", L, cfg_.max_text_len);
  VDF_CHECK(text_mask.defined() && text_mask.scalar_type() == torch::kBool && text_mask.dim() == 2 &&
                text_mask.size(0) == B && text_mask.size(1) == L,
            "DiT: text_mask must be bool [{}, {}]", B, L);
  if (cfg_.pooled_dim > 0)
    VDF_CHECK(pooled.defined() && pooled.dim() == 2 && pooled.size(0) == B && pooled.size(1) == cfg_.pooled_dim,
              "DiT: pooled must be [{}, {}], got {}", B, cfg_.pooled_dim,
              pooled.defined() ? c10::str(pooled.sizes()) : std::string("undefined"));

  auto xp = pad_time(x, patch_[0]);
  const Grid g = patch_grid(xp.size(2), xp.size(3), xp.size(4), patch_);
  auto h = x_embedder(patchify(xp, patch_));  // [B, N, D]
  const auto& pos = positional(g, x.device());
  // Sequence parallel: this rank's contiguous slice [lo, lo + n) of the tokens (and of the positions).
  const int64_t N = h.size(1);
  int64_t lo = 0, n = N;
  if (sequence_parallel_) {
    const int64_t P = sequence_parallel_->degree();
    VDF_CHECK(N % P == 0, "DiT: {} tokens per sample (patch grid {}x{}x{}) are not divisible by "
              "distributed.sequence_parallel {}", N, g[0], g[1], g[2], P);
    n = N / P;
    lo = sequence_parallel_->index() * n;
    h = h.narrow(1, lo, n);
  }

  BlockInputs in;
  in.grid = g;
  in.c = t_embedder(t);
  if (pooled_embedder) in.c = in.c + pooled_embedder(pooled);
  in.text = text_embedder(text);
  in.text_mask = text_mask;
  if (cfg_.pos_embed == config::PosEmbed::sincos3d) {
    h = h + pos[0].narrow(1, lo, n).to(h.scalar_type());
  } else {
    in.cos = pos[0].narrow(0, lo, n);
    in.sin = pos[1].narrow(0, lo, n);
  }
  // The first checkpointed_blocks() blocks are recomputed in backward (model.checkpoint_blocks).
  const int64_t checkpointed = is_training() ? cfg_.checkpointed_blocks() : 0;
  models::BlockObserver* observer = block_observer();
  for (size_t i = 0; i < blocks->size(); ++i) {
    auto* blk = (*blocks)[i]->as<DitBlockImpl>();
    if (observer) observer->before_block(static_cast<int64_t>(i), h);
    h = static_cast<int64_t>(i) < checkpointed ? checkpointed_block(*blk, h, in, cfg_.offload_activations)
                                               : blk->forward(h, in);
    if (observer) observer->after_block(static_cast<int64_t>(i), h);
  }
  auto tokens = final_layer(h, in.c);
  if (sequence_parallel_) tokens = sequence_parallel_->gather_tokens(tokens, 1);
  auto out = unpatchify(tokens, g, patch_, cfg_.out_channels);
  if (out.size(2) != T_in) out = out.narrow(2, 0, T_in);
  return out;
}

}  // namespace vdf::dit
