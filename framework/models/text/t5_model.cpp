#include "framework/models/text/t5_model.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "framework/core/error.h"

namespace vdf::text {

namespace F = torch::nn::functional;

std::string T5Config::describe() const {
  return fmt::format("{} d_model {}, {} layers, {} heads x {}, d_ff {} ({}{}), vocab {}", model_type, d_model,
                     num_layers, num_heads, d_kv, d_ff, gated ? "gated-" : "", activation, vocab_size);
}

T5LayerNormImpl::T5LayerNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor T5LayerNormImpl::forward(const torch::Tensor& x) {
  // As transformers: the variance in float32 whatever the input dtype; back to a half weight's dtype.
  auto variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
  auto y = x * torch::rsqrt(variance + eps_);
  if (weight.scalar_type() == torch::kHalf || weight.scalar_type() == torch::kBFloat16) y = y.to(weight.scalar_type());
  return weight * y;
}

torch::Tensor t5_relative_position_bucket(const torch::Tensor& relative_position, int64_t num_buckets,
                                          int64_t max_distance) {
  // Bidirectional (encoder): half of the buckets for keys after the query, half for before; within each
  // half, exact buckets for distances < max_exact, logarithmic ones up to max_distance. Same float32
  // arithmetic as transformers so that the buckets are identical.
  const int64_t half = num_buckets / 2;
  auto buckets = (relative_position > 0).to(torch::kLong) * half;
  auto distance = relative_position.abs();
  const int64_t max_exact = half / 2;
  auto is_small = distance < max_exact;
  auto log_ratio = torch::log(distance.to(torch::kFloat32) / static_cast<float>(max_exact)) /
                   static_cast<float>(std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)));
  auto large = max_exact + (log_ratio * static_cast<float>(half - max_exact)).to(torch::kLong);
  large = torch::minimum(large, torch::full_like(large, half - 1));
  return buckets + torch::where(is_small, distance, large);
}

T5AttentionImpl::T5AttentionImpl(const T5Config& c, bool has_relative_bias) : c_(c) {
  const int64_t inner = c.num_heads * c.d_kv;
  q = register_module("q", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, inner).bias(false)));
  k = register_module("k", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, inner).bias(false)));
  v = register_module("v", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, inner).bias(false)));
  o = register_module("o", torch::nn::Linear(torch::nn::LinearOptions(inner, c.d_model).bias(false)));
  if (has_relative_bias)
    relative_attention_bias = register_module(
        "relative_attention_bias", torch::nn::Embedding(c.relative_attention_num_buckets, c.num_heads));
}

torch::Tensor T5AttentionImpl::position_bias(int64_t length) {
  VDF_CHECK(!relative_attention_bias.is_empty(), "T5 attention: this layer has no relative position table");
  const auto device = relative_attention_bias->weight.device();
  auto pos = torch::arange(length, torch::TensorOptions().dtype(torch::kLong).device(device));
  auto relative = pos.unsqueeze(0) - pos.unsqueeze(1);  // key - query, [Lq, Lk]
  auto buckets = t5_relative_position_bucket(relative, c_.relative_attention_num_buckets,
                                             c_.relative_attention_max_distance);
  return relative_attention_bias->forward(buckets).permute({2, 0, 1}).unsqueeze(0);  // [1, H, L, L]
}

torch::Tensor T5AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& bias) {
  const int64_t b = x.size(0), l = x.size(1);
  auto heads = [&](const torch::Tensor& t) { return t.view({b, l, c_.num_heads, c_.d_kv}).transpose(1, 2); };
  auto qh = heads(q->forward(x)), kh = heads(k->forward(x)), vh = heads(v->forward(x));
  // T5 folds the scale into its weights: scores are NOT divided by sqrt(d_kv).
  auto out = at::scaled_dot_product_attention(qh, kh, vh, bias.to(qh.scalar_type()), /*dropout_p=*/0.0,
                                              /*is_causal=*/false, /*scale=*/1.0);
  return o->forward(out.transpose(1, 2).reshape({b, l, c_.num_heads * c_.d_kv}));
}

T5EncoderImpl::T5EncoderImpl(const T5Config& config) : config_(config) {
  const auto& c = config_;
  VDF_CHECK(c.vocab_size > 0 && c.d_model > 0 && c.d_kv > 0 && c.d_ff > 0 && c.num_layers > 0 && c.num_heads > 0 &&
                c.relative_attention_num_buckets >= 4 && c.relative_attention_max_distance > 0,
            "T5 encoder: invalid architecture ({})", c.describe());
  VDF_CHECK(c.activation == "gelu_new" || c.activation == "relu" || c.activation == "gelu",
            "T5 encoder: activation '{}' is not supported (gelu_new, gelu or relu)", c.activation);
  shared_ = register_module("shared", torch::nn::Embedding(c.vocab_size, c.d_model));
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  auto blocks = encoder->register_module("block", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    Layer l;
    auto block = std::make_shared<torch::nn::Module>();
    auto sublayers = block->register_module("layer", torch::nn::ModuleList());
    auto attn_layer = std::make_shared<torch::nn::Module>();
    l.attn = attn_layer->register_module("SelfAttention", T5Attention(c, i == 0 || c.per_layer_position_bias()));
    l.attn_norm = attn_layer->register_module("layer_norm", T5LayerNorm(c.d_model, c.layer_norm_epsilon));
    auto ff_layer = std::make_shared<torch::nn::Module>();
    auto dense = ff_layer->register_module("DenseReluDense", std::make_shared<torch::nn::Module>());
    auto linear = [&](const char* name, int64_t in, int64_t out) {
      return dense->register_module(name, torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false)));
    };
    if (c.gated) {
      l.wi_0 = linear("wi_0", c.d_model, c.d_ff);
      l.wi_1 = linear("wi_1", c.d_model, c.d_ff);
    } else {
      l.wi = linear("wi", c.d_model, c.d_ff);
    }
    l.wo = linear("wo", c.d_ff, c.d_model);
    l.ff_norm = ff_layer->register_module("layer_norm", T5LayerNorm(c.d_model, c.layer_norm_epsilon));
    sublayers->push_back(attn_layer);
    sublayers->push_back(ff_layer);
    blocks->push_back(block);
    layers_.push_back(l);
  }
  final_norm_ = encoder->register_module("final_layer_norm", T5LayerNorm(c.d_model, c.layer_norm_epsilon));
}

torch::Tensor T5EncoderImpl::feed_forward(Layer& l, const torch::Tensor& x) {
  auto act = [&](const torch::Tensor& t) {
    if (config_.activation == "relu") return torch::relu(t);
    return torch::gelu(t, config_.activation == "gelu_new" ? "tanh" : "none");
  };
  torch::Tensor h = config_.gated ? act(l.wi_0->forward(x)) * l.wi_1->forward(x) : act(l.wi->forward(x));
  return l.wo->forward(h.to(l.wo->weight.scalar_type()));
}

void T5EncoderImpl::set_dtype(torch::Dtype dtype) {
  to(dtype);
  if (dtype == torch::kHalf)
    for (auto& l : layers_) l.wo->to(torch::kFloat32);
}

torch::Tensor T5EncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  VDF_CHECK(ids.dim() == 2, "T5 encoder: ids must be [B, L], got {} dims", ids.dim());
  const int64_t l = ids.size(1);
  auto x = shared_->forward(ids);
  const auto dtype = x.scalar_type();
  // Padding mask as an additive bias: the dtype's lowest value on padded keys (as transformers).
  torch::Tensor mask_bias;
  if (mask.defined()) {
    VDF_CHECK(mask.sizes() == ids.sizes(), "T5 encoder: mask shape must equal the ids' shape");
    const double lowest = dtype == torch::kHalf       ? static_cast<double>(std::numeric_limits<c10::Half>::lowest())
                          : dtype == torch::kBFloat16 ? static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest())
                                                      : static_cast<double>(std::numeric_limits<float>::lowest());
    mask_bias = torch::zeros({ids.size(0), 1, 1, l}, x.options())
                    .masked_fill(mask.view({ids.size(0), 1, 1, l}).to(x.device()) == 0, lowest);
  }
  auto with_mask = [&](torch::Tensor bias) { return mask_bias.defined() ? bias + mask_bias : bias; };
  torch::Tensor shared_bias;
  if (!config_.per_layer_position_bias()) shared_bias = with_mask(layers_[0].attn->position_bias(l).to(dtype));
  auto clamp_half = [](torch::Tensor t) {
    // fp16 overflows in T5's FFN; transformers clamps to the finite range, and so does vdf.
    if (t.scalar_type() == torch::kHalf) t = t.clamp(-64504.0, 64504.0);
    return t;
  };
  for (auto& layer : layers_) {
    auto bias = config_.per_layer_position_bias() ? with_mask(layer.attn->position_bias(l).to(dtype)) : shared_bias;
    x = clamp_half(x + layer.attn->forward(layer.attn_norm->forward(x), bias));
    x = clamp_half(x + feed_forward(layer, layer.ff_norm->forward(x)));
  }
  return final_norm_->forward(x);
}

}  // namespace vdf::text
