#include "framework/models/dit/layers.h"

#include <cmath>

#include "framework/models/dit/pos_embed.h"

namespace vdf::dit {

namespace F = torch::nn::functional;

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto xf = x.to(torch::kFloat32);
  auto y = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (y * weight.to(torch::kFloat32)).to(x.scalar_type());
}

torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale) {
  return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1);
}

torch::Tensor timestep_frequencies(const torch::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(t.device());
  auto freqs = torch::exp(-std::log(max_period) * torch::arange(half, opts) / static_cast<double>(half));
  auto args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
  auto emb = torch::cat({torch::cos(args), torch::sin(args)}, -1);
  if (dim % 2) emb = torch::cat({emb, torch::zeros_like(emb.narrow(1, 0, 1))}, -1);
  return emb;
}

TimestepEmbedderImpl::TimestepEmbedderImpl(int64_t hidden, int64_t freq_dim_) : freq_dim(freq_dim_) {
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(freq_dim, hidden), torch::nn::SiLU(),
                                                     torch::nn::Linear(hidden, hidden)));
}

torch::Tensor TimestepEmbedderImpl::forward(const torch::Tensor& t) {
  return mlp->forward(timestep_frequencies(t * 1000.0, freq_dim));
}

ProjectionImpl::ProjectionImpl(int64_t in, int64_t hidden, int64_t out, std::string act_) : act(std::move(act_)) {
  fc1 = register_module("fc1", torch::nn::Linear(in, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, out));
}

torch::Tensor ProjectionImpl::forward(const torch::Tensor& x) {
  auto h = fc1(x);
  h = act == "silu" ? F::silu(h) : torch::gelu(h, "tanh");
  return fc2(h);
}

SelfAttentionImpl::SelfAttentionImpl(int64_t hidden, int64_t heads_, bool qk_norm)
    : heads(heads_), head_dim(hidden / heads_) {
  qkv = register_module("qkv", torch::nn::Linear(hidden, 3 * hidden));
  if (qk_norm) {
    q_norm = register_module("q_norm", RMSNorm(head_dim));
    k_norm = register_module("k_norm", RMSNorm(head_dim));
  }
  proj = register_module("proj", torch::nn::Linear(hidden, hidden));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t G = x.size(0), L = x.size(1), D = x.size(2);
  auto parts = qkv(x).view({G, L, 3, heads, head_dim}).permute({2, 0, 3, 1, 4});  // [3, G, H, L, hd]
  auto q = parts[0], k = parts[1], v = parts[2];
  if (q_norm) {
    q = q_norm(q);
    k = k_norm(k);
  }
  if (cos.defined()) {
    q = apply_rope(q, cos, sin);
    k = apply_rope(k, cos, sin);
  }
  auto o = sequence_parallel ? sequence_parallel->attention(q, k, v)
                             : at::scaled_dot_product_attention(q, k, v);  // [G, H, L, hd]
  return proj(o.transpose(1, 2).reshape({G, L, D}));
}

CrossAttentionImpl::CrossAttentionImpl(int64_t hidden, int64_t heads_, bool qk_norm)
    : heads(heads_), head_dim(hidden / heads_) {
  q = register_module("q", torch::nn::Linear(hidden, hidden));
  kv = register_module("kv", torch::nn::Linear(hidden, 2 * hidden));
  if (qk_norm) {
    q_norm = register_module("q_norm", RMSNorm(head_dim));
    k_norm = register_module("k_norm", RMSNorm(head_dim));
  }
  proj = register_module("proj", torch::nn::Linear(hidden, hidden));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                          const torch::Tensor& mask) {
  const int64_t B = x.size(0), N = x.size(1), D = x.size(2), L = context.size(1);
  auto qh = q(x).view({B, N, heads, head_dim}).transpose(1, 2);                       // [B, H, N, hd]
  auto kvh = kv(context).view({B, L, 2, heads, head_dim}).permute({2, 0, 3, 1, 4});  // [2, B, H, L, hd]
  auto kh = kvh[0], vh = kvh[1];
  if (q_norm) {
    qh = q_norm(qh);
    kh = k_norm(kh);
  }
  // Rows without any valid token: open their mask (finite softmax) and zero their output below.
  auto has_text = mask.any(-1);                                          // [B]
  auto open = mask.logical_or(has_text.logical_not().unsqueeze(-1));     // [B, L]
  auto o = at::scaled_dot_product_attention(qh, kh, vh, open.view({B, 1, 1, L}));
  o = o.transpose(1, 2).reshape({B, N, D});
  return proj(o) * has_text.to(o.scalar_type()).view({B, 1, 1});
}

MlpImpl::MlpImpl(int64_t hidden, int64_t inner) {
  fc1 = register_module("fc1", torch::nn::Linear(hidden, inner));
  fc2 = register_module("fc2", torch::nn::Linear(inner, hidden));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x), "tanh")); }

}  // namespace vdf::dit
