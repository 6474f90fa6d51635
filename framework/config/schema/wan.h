// Config sub-sections of `model` for the Wan 2.1 family (framework/models/wan) and for LoRA adapters
// (framework/models/wan/lora.h): `model.wan.*` and `model.lora.*`. Read only when model.family is wan.
// Architecture, parameter names and loading paths: docs/models.md "Wan 2.1".
//
// Sizes: `preset` fills dim/layers/heads/ffn_dim left at 0 (an explicit value overrides the preset):
//   tiny: dim 64,   layers 2,  heads 4,  ffn 128    (tests)
//   1.3b: dim 1536, layers 30, heads 12, ffn 8960   (Wan2.1-T2V-1.3B)
//   14b:  dim 5120, layers 40, heads 40, ffn 13824  (Wan2.1-T2V-14B)
// The channel/patch/text widths are the family-independent `model.*` keys (in_channels, out_channels,
// patch, text_dim): the published Wan 2.1 T2V checkpoints use 16, 16, [1, 2, 2], 4096 (UMT5-XXL).
#pragma once
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/binding.h"

namespace vdf::config {

struct WanConfig {
  std::string preset = "tiny";   // tiny | 1.3b | 14b | "" (then dim/layers/heads/ffn_dim are required)
  int64_t dim = 0;               // transformer width; 0 = from preset
  int64_t layers = 0;            // 0 = from preset
  int64_t heads = 0;             // 0 = from preset
  int64_t ffn_dim = 0;           // FFN hidden width; 0 = from preset
  int64_t freq_dim = 256;        // sinusoidal timestep embedding width
  int64_t text_len = 512;        // text states are zero-padded to this many tokens (Wan: 512); 0 = no padding
  double eps = 1e-6;             // LayerNorm / RMSNorm epsilon
  bool cross_attn_norm = true;   // affine LayerNorm before the text cross-attention (all Wan 2.1 T2V models)
  double rope_theta = 10000.0;
  int64_t rope_max_seq_len = 1024;  // longest patch-grid axis the RoPE tables cover

  template <class V>
  void visit(V& v) {
    v("preset", preset, "size preset: tiny | 1.3b | 14b | '' (fills dim/layers/heads/ffn_dim left at 0)");
    v("dim", dim, "transformer width; 0 = from preset");
    v("layers", layers, "transformer blocks; 0 = from preset");
    v("heads", heads, "attention heads; 0 = from preset");
    v("ffn_dim", ffn_dim, "FFN hidden width; 0 = from preset");
    v("freq_dim", freq_dim, "width of the sinusoidal timestep embedding");
    v("text_len", text_len, "text states are zero-padded to this many tokens (Wan 2.1: 512); 0 = no padding");
    v("eps", eps, "epsilon of the LayerNorms and the q/k RMSNorms");
    v("cross_attn_norm", cross_attn_norm, "affine LayerNorm before the text cross-attention");
    v("rope_theta", rope_theta, "RoPE base frequency");
    v("rope_max_seq_len", rope_max_seq_len, "longest patch-grid axis covered by the RoPE tables");
  }

  static bool preset_dims(const std::string& name, int64_t* dim, int64_t* layers, int64_t* heads, int64_t* ffn) {
    std::string n;
    for (char ch : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    struct P { const char* name; int64_t d, l, h, f; };
    static const P table[] = {{"tiny", 64, 2, 4, 128}, {"1.3b", 1536, 30, 12, 8960}, {"14b", 5120, 40, 40, 13824}};
    for (const auto& p : table)
      if (n == p.name) {
        if (dim) *dim = p.d;
        if (layers) *layers = p.l;
        if (heads) *heads = p.h;
        if (ffn) *ffn = p.f;
        return true;
      }
    return false;
  }

  // This config with the preset applied. Throws vdf::Error for an unknown preset.
  WanConfig resolved() const {
    WanConfig r = *this;
    if (!preset.empty()) {
      int64_t d = 0, l = 0, h = 0, f = 0;
      if (!preset_dims(preset, &d, &l, &h, &f))
        fail("config key 'model.wan.preset' = '{}': expected tiny, 1.3b, 14b or ''", preset);
      if (r.dim == 0) r.dim = d;
      if (r.layers == 0) r.layers = l;
      if (r.heads == 0) r.heads = h;
      if (r.ffn_dim == 0) r.ffn_dim = f;
    }
    return r;
  }
  int64_t head_dim() const { return heads > 0 ? dim / heads : 0; }

  void validate(const Check& c) const {
    c.require(preset.empty() || preset_dims(preset, nullptr, nullptr, nullptr, nullptr), "preset", preset,
              "tiny, 1.3b, 14b or ''");
    constexpr int64_t kMax = int64_t(1) << 24;
    c.require(dim >= 0 && dim <= kMax, "dim", dim, "in [0, 2^24] (0 = from preset)");
    c.require(layers >= 0 && layers <= kMax, "layers", layers, "in [0, 2^24] (0 = from preset)");
    c.require(heads >= 0 && heads <= kMax, "heads", heads, "in [0, 2^24] (0 = from preset)");
    c.require(ffn_dim >= 0 && ffn_dim <= kMax, "ffn_dim", ffn_dim, "in [0, 2^24] (0 = from preset)");
    c.require(freq_dim > 0 && freq_dim % 2 == 0 && freq_dim <= kMax, "freq_dim", freq_dim, "a positive even number");
    c.require(text_len >= 0 && text_len <= kMax, "text_len", text_len, ">= 0");
    c.require(eps > 0, "eps", eps, "> 0");
    c.require(rope_theta > 0, "rope_theta", rope_theta, "> 0");
    c.require(rope_max_seq_len > 0 && rope_max_seq_len <= kMax, "rope_max_seq_len", rope_max_seq_len, "> 0");
    const WanConfig r = resolved();
    c.require(r.dim > 0, "dim", r.dim, "> 0 (set it or choose a preset)");
    c.require(r.layers > 0, "layers", r.layers, "> 0 (set it or choose a preset)");
    c.require(r.ffn_dim > 0, "ffn_dim", r.ffn_dim, "> 0 (set it or choose a preset)");
    c.require(r.heads > 0 && r.dim % r.heads == 0, "heads", r.heads, fmt::format("a positive divisor of dim = {}", r.dim));
    // Wan's RoPE split: h = w = 2 * (head_dim / 6), t = the rest; all must be even and h > 0.
    const int64_t hd = r.head_dim();
    c.require(hd % 2 == 0 && hd >= 6, "heads", r.heads,
              fmt::format("a head dim (dim / heads = {}) that is even and >= 6 (Wan's 3D RoPE split)", hd));
  }
};

// LoRA adapters (framework/models/wan/lora.h): W x + (alpha / rank) B A x on the chosen linear layers;
// the base weights are frozen and only A, B are trained and checkpointed.
struct LoraConfig {
  int64_t rank = 0;        // 0 = no LoRA (full training of every parameter)
  double alpha = 0;        // scale = alpha / rank; 0 = rank (scale 1)
  // Linear layers by their name inside a block (diffusers names); a layer matches when its full name
  // ends with ".<target>".
  std::vector<std::string> targets{"attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
                                   "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0",
                                   "ffn.net.0.proj", "ffn.net.2"};
  std::string init_from;   // a LoRA file (PEFT/diffusers or ComfyUI layout) to start from; "" = B = 0

  template <class V>
  void visit(V& v) {
    v("rank", rank, "LoRA rank; 0 = full training (no LoRA)");
    v("alpha", alpha, "LoRA alpha: the update is scaled by alpha / rank; 0 = rank");
    v("targets", targets, "linear layers that get adapters (names inside a block, e.g. attn1.to_q, ffn.net.2)");
    v("init_from", init_from, "LoRA weights to start from (PEFT/diffusers or ComfyUI layout); '' = fresh (B = 0)");
  }
  void validate(const Check& c) const {
    c.require(rank >= 0 && rank <= 65536, "rank", rank, "in [0, 65536]");
    c.require(alpha >= 0, "alpha", alpha, ">= 0 (0 = rank)");
    if (rank > 0) c.require(!targets.empty(), "targets", targets, "at least one linear layer name");
  }
  double scale() const { return rank > 0 ? (alpha > 0 ? alpha : static_cast<double>(rank)) / static_cast<double>(rank) : 0.0; }
};

}  // namespace vdf::config
