// Config section `model`: the video DiT (framework/models/dit). See docs/dit.md for the architecture,
// the parameter (checkpoint key) names and the exact preset numbers.
//
// Sizes: `preset` fills hidden/depth/heads; an explicit non-zero hidden/depth/heads overrides the preset
// (so `preset: xl` + `depth: 4` is an XL-wide, 4-layer model). Presets (DiT paper widths/depths):
//   tiny: hidden 64,   depth 2,  heads 4   (tests)
//   s:    hidden 384,  depth 12, heads 6
//   b:    hidden 768,  depth 12, heads 12
//   l:    hidden 1024, depth 24, heads 16
//   xl:   hidden 1152, depth 28, heads 16
#pragma once
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/binding.h"
#include "framework/config/schema/wan.h"

namespace vdf::config {

// Model family: vdf's own video DiT (the keys below) or the Wan 2.1 transformer (`model.wan.*`).
enum class ModelFamily { dit, wan };
VDF_CONFIG_ENUM(ModelFamily, {ModelFamily::dit, "dit"}, {ModelFamily::wan, "wan"})

enum class PosEmbed { sincos3d, rope3d };
VDF_CONFIG_ENUM(PosEmbed, {PosEmbed::sincos3d, "sincos3d"}, {PosEmbed::rope3d, "rope3d"})
enum class AttentionLayout { full, factorized };
VDF_CONFIG_ENUM(AttentionLayout, {AttentionLayout::full, "full"}, {AttentionLayout::factorized, "factorized"})

struct DitConfig {
  ModelFamily family = ModelFamily::dit;  // dit: the keys of this struct; wan: model.wan.* (+ the widths below)
  WanConfig wan;                     // family wan only
  LoraConfig lora;                   // family wan only: LoRA adapters instead of full training
  std::string init_from;             // pretrained weights to start from ('' = random init); docs/models.md
  std::string preset = "tiny";       // tiny | s | b | l | xl | "" (then hidden/depth/heads are required)
  int64_t in_channels = 4;           // latent channels
  int64_t out_channels = 0;          // 0 = in_channels (x2 when learn_sigma)
  bool learn_sigma = false;          // DiT-style: predict a variance channel block too (out = 2*in)
  std::vector<int64_t> patch{1, 2, 2};  // [pt, ph, pw]
  int64_t hidden = 0;                // 0 = from preset
  int64_t depth = 0;                 // 0 = from preset
  int64_t heads = 0;                 // 0 = from preset
  double mlp_ratio = 4.0;
  int64_t text_dim = 768;            // width of the text token embeddings
  int64_t pooled_dim = 768;          // width of the pooled text embedding; 0 = not used
  int64_t max_text_len = 77;         // longest text (tokens) the model accepts
  PosEmbed pos_embed = PosEmbed::rope3d;
  std::vector<int64_t> rope_axes;    // rope3d: head-dim split [t, h, w]; empty = auto (see docs/dit.md)
  double rope_theta = 10000.0;       // rope3d
  bool qk_norm = true;               // RMSNorm on queries and keys (self- and cross-attention)
  AttentionLayout attention = AttentionLayout::full;  // factorized: Latte's alternating spatial/temporal blocks
  // Activation checkpointing: the first N blocks keep only their input and are recomputed in backward
  // (0 = none, -1 = all). Trades ~1/3 more block FLOPs for their activations (docs/dit.md).
  int64_t checkpoint_blocks = 0;
  bool grad_checkpointing = false;   // older spelling of checkpoint_blocks: -1 (kept so old configs load)
  bool offload_activations = false;  // keep checkpointed block inputs in (pinned, on CUDA) host memory

  template <class V>
  void visit(V& v) {
    v("family", family, "model family: dit (vdf's video DiT) or wan (Wan 2.1 transformer, model.wan.*)");
    const When is_wan{family == ModelFamily::wan, "model.family is wan", "family"};
    v("wan", wan, "Wan 2.1 transformer sizes (docs/models.md)", is_wan);
    v("lora", lora, "LoRA adapters on linear layers (docs/training.md)", is_wan);
    v("init_from", init_from, "pretrained weights: a diffusers transformer folder / safetensors index, or one "
      "weights file (vdf, diffusers or original Wan names); '' = random init");
    v("preset", preset, "size preset: tiny | s | b | l | xl | '' (fills hidden/depth/heads left at 0)");
    v("in_channels", in_channels, "latent channels of the input");
    v("out_channels", out_channels, "output channels; 0 = in_channels (x2 with learn_sigma)");
    v("learn_sigma", learn_sigma, "also predict a variance (output channels doubled)");
    v("patch", patch, "3D patch size [pt, ph, pw]");
    v("hidden", hidden, "transformer width; 0 = from preset");
    v("depth", depth, "number of transformer blocks; 0 = from preset");
    v("heads", heads, "attention heads; 0 = from preset");
    v("mlp_ratio", mlp_ratio, "MLP hidden width / model width");
    v("text_dim", text_dim, "width of the text token embeddings");
    v("pooled_dim", pooled_dim, "width of the pooled text embedding (0 = none)");
    v("max_text_len", max_text_len, "longest text sequence (tokens) the model accepts");
    v("pos_embed", pos_embed, "position encoding: 3D sin-cos added to tokens, or 3D RoPE in attention");
    const When rope{pos_embed == PosEmbed::rope3d, "model.pos_embed is rope3d", "pos_embed"};
    v("rope_axes", rope_axes, "RoPE split of the head dim [t, h, w] (even, sum = head dim); [] = auto", rope);
    v("rope_theta", rope_theta, "RoPE base frequency", rope);
    v("qk_norm", qk_norm, "RMSNorm on queries and keys");
    v("attention", attention, "full, or factorized (alternating spatial / temporal blocks)");
    v("checkpoint_blocks", checkpoint_blocks,
      "activation checkpointing: the first N blocks are recomputed in backward (0 = none, -1 = all)");
    v("grad_checkpointing", grad_checkpointing, "older spelling of checkpoint_blocks: -1 (true = all blocks)");
    v("offload_activations", offload_activations,
      "move the saved inputs of checkpointed blocks to host memory (pinned on CUDA) until backward");
  }

  // Preset values (hidden, depth, heads); false for an unknown name.
  static bool preset_dims(const std::string& name, int64_t* hidden, int64_t* depth, int64_t* heads) {
    std::string n;
    for (char ch : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    struct P { const char* name; int64_t h, d, n; };
    static const P table[] = {{"tiny", 64, 2, 4}, {"s", 384, 12, 6}, {"b", 768, 12, 12},
                              {"l", 1024, 24, 16}, {"xl", 1152, 28, 16}};
    for (const auto& p : table)
      if (n == p.name) {
        if (hidden) *hidden = p.h;
        if (depth) *depth = p.d;
        if (heads) *heads = p.n;
        return true;
      }
    return false;
  }

  // This config with the preset applied, out_channels and rope_axes filled in. Throws vdf::Error.
  DitConfig resolved() const {
    DitConfig r = *this;
    if (!preset.empty()) {
      int64_t h = 0, d = 0, n = 0;
      if (!preset_dims(preset, &h, &d, &n))
        fail("config key 'model.preset' = '{}': expected tiny, s, b, l, xl or ''", preset);
      if (r.hidden == 0) r.hidden = h;
      if (r.depth == 0) r.depth = d;
      if (r.heads == 0) r.heads = n;
    }
    if (r.out_channels == 0) r.out_channels = r.in_channels * (learn_sigma ? 2 : 1);
    if (r.rope_axes.empty() && r.heads > 0 && r.hidden % r.heads == 0) {
      const int64_t hd = r.hidden / r.heads;
      if (hd % 4 == 0) {
        const int64_t t = 4 * std::max<int64_t>(1, hd / 32);
        r.rope_axes = {t, (hd - t) / 2, (hd - t) / 2};
      }
    }
    return r;
  }

  int64_t head_dim() const { return heads > 0 ? hidden / heads : 0; }

  // Number of blocks run under activation checkpointing (the first ones); needs `depth` resolved.
  int64_t checkpointed_blocks() const {
    if (grad_checkpointing || checkpoint_blocks < 0) return depth;
    return std::min(checkpoint_blocks, depth);
  }

  void validate(const Check& c) const {
    if (family == ModelFamily::wan) {
      wan.validate(c.sub("wan"));
      lora.validate(c.sub("lora"));
    }
    c.require(preset.empty() || preset_dims(preset, nullptr, nullptr, nullptr), "preset", preset, "tiny, s, b, l, xl or ''");
    c.require(in_channels > 0, "in_channels", in_channels, "> 0");
    c.require(out_channels >= 0, "out_channels", out_channels, ">= 0");
    c.require(patch.size() == 3 && patch[0] > 0 && patch[1] > 0 && patch[2] > 0, "patch", patch,
              "three positive integers [pt, ph, pw]");
    c.require(hidden >= 0 && depth >= 0 && heads >= 0, "hidden", hidden, ">= 0 (0 = from preset)");
    c.require(mlp_ratio > 0, "mlp_ratio", mlp_ratio, "> 0");
    c.require(text_dim > 0, "text_dim", text_dim, "> 0");
    c.require(pooled_dim >= 0, "pooled_dim", pooled_dim, ">= 0");
    c.require(max_text_len > 0, "max_text_len", max_text_len, "> 0");
    c.require(rope_theta > 0, "rope_theta", rope_theta, "> 0");
    c.require(checkpoint_blocks >= -1, "checkpoint_blocks", checkpoint_blocks, "-1 (all), 0 (none) or a block count");
    c.require(!grad_checkpointing || checkpoint_blocks == 0 || checkpoint_blocks == -1, "grad_checkpointing",
              grad_checkpointing, "false when checkpoint_blocks is set (grad_checkpointing: true means all blocks)");
    c.require(!offload_activations || grad_checkpointing || checkpoint_blocks != 0, "offload_activations",
              offload_activations, "false unless model.checkpoint_blocks != 0 (only checkpointed inputs are offloaded)");
    // Upper bounds first, so the arithmetic below (resolved(), sums) cannot overflow on absurd input.
    constexpr int64_t kMaxDim = int64_t(1) << 24;
    c.require(in_channels <= kMaxDim && out_channels <= kMaxDim, "in_channels", in_channels, "<= 2^24");
    c.require(hidden <= kMaxDim && depth <= kMaxDim && heads <= kMaxDim, "hidden", hidden,
              "hidden, depth and heads <= 2^24");
    for (auto a : rope_axes) c.require(a >= -kMaxDim && a <= kMaxDim, "rope_axes", rope_axes, "entries in [-2^24, 2^24]");
    for (auto p : patch) c.require(p <= kMaxDim, "patch", patch, "entries <= 2^24");
    const DitConfig r = resolved();
    c.require(r.hidden > 0, "hidden", r.hidden, "> 0 (set it or choose a preset)");
    c.require(r.depth > 0, "depth", r.depth, "> 0 (set it or choose a preset)");
    c.require(r.heads > 0 && r.hidden % r.heads == 0, "heads", r.heads,
              fmt::format("a positive divisor of hidden = {}", r.hidden));
    if (pos_embed == PosEmbed::sincos3d)
      c.require(r.hidden % 4 == 0, "hidden", r.hidden, "a multiple of 4 for sincos3d");
    if (pos_embed == PosEmbed::rope3d) {
      const int64_t hd = r.head_dim();
      c.require(r.rope_axes.size() == 3, "rope_axes", rope_axes,
                fmt::format("3 even numbers summing to the head dim {} (auto needs head dim % 4 == 0)", hd));
      bool even = true;
      int64_t sum = 0;
      for (auto a : r.rope_axes) even = even && a >= 0 && a % 2 == 0, sum += a;
      c.require(even && sum == hd, "rope_axes", r.rope_axes,
                fmt::format("3 non-negative even numbers summing to the head dim {}", hd));
    }
  }
};

}  // namespace vdf::config
