#include "framework/models/wan/blocks.h"

#include <cmath>

#include "framework/core/autocast.h"

namespace vdf::wan {

namespace F = torch::nn::functional;

std::array<int64_t, 3> rope_split(int64_t head_dim) {
  const int64_t hw = 2 * (head_dim / 6);
  return {head_dim - 2 * hw, hw, hw};
}

std::pair<torch::Tensor, torch::Tensor> rope_tables(int64_t head_dim, int64_t f, int64_t h, int64_t w, double theta) {
  const auto split = rope_split(head_dim);
  const std::array<int64_t, 3> len{f, h, w};
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  std::vector<torch::Tensor> axes;  // angles per axis, broadcast to [f, h, w, d_axis / 2]
  for (int a = 0; a < 3; ++a) {
    const int64_t d = split[a];
    // diffusers get_1d_rotary_pos_embed: freqs = 1 / theta^(arange(0, d, 2) / d), angle = pos * freqs.
    auto freqs = 1.0 / torch::pow(theta, torch::arange(0, d, 2, f64).narrow(0, 0, d / 2) / static_cast<double>(d));
    auto ang = torch::outer(torch::arange(len[a], f64), freqs);  // [len, d/2]
    std::vector<int64_t> view{1, 1, 1, d / 2};
    view[a] = len[a];
    axes.push_back(ang.view(view).expand({f, h, w, d / 2}));
  }
  auto angles = torch::cat(axes, -1).reshape({1, f * h * w, 1, head_dim / 2});
  return {torch::cos(angles).to(torch::kFloat32), torch::sin(angles).to(torch::kFloat32)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  auto pairs = x.unflatten(-1, {-1, 2});
  auto x1 = pairs.select(-1, 0).to(torch::kFloat32), x2 = pairs.select(-1, 1).to(torch::kFloat32);
  auto out = torch::stack({x1 * cos - x2 * sin, x1 * sin + x2 * cos}, -1).flatten(-2);
  return out.to(x.scalar_type());
}

LayerNormImpl::LayerNormImpl(int64_t dim_, double eps_, bool affine) : dim(dim_), eps(eps_) {
  if (affine) {
    weight = register_parameter("weight", torch::ones({dim}));
    bias = register_parameter("bias", torch::zeros({dim}));
  }
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  torch::Tensor w, b;
  if (weight.defined()) w = weight.to(torch::kFloat32), b = bias.to(torch::kFloat32);
  return torch::layer_norm(x.to(torch::kFloat32), {dim}, w, b, eps);
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_) : eps(eps_) { weight = register_parameter("weight", torch::ones({dim})); }

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  return at::rms_norm(x, {weight.size(0)}, weight.to(x.scalar_type()), eps);
}

AttentionImpl::AttentionImpl(int64_t dim, int64_t heads_, double eps) : heads(heads_) {
  to_q = register_module("to_q", Linear(dim, dim));
  to_k = register_module("to_k", Linear(dim, dim));
  to_v = register_module("to_v", Linear(dim, dim));
  to_out = register_module("to_out", torch::nn::ModuleList(Linear(dim, dim)));
  norm_q = register_module("norm_q", RMSNorm(dim, eps));
  norm_k = register_module("norm_k", RMSNorm(dim, eps));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& cos,
                                     const torch::Tensor& sin) {
  const auto& kv_in = context.defined() ? context : x;
  auto q = norm_q(to_q(x)).unflatten(2, {heads, -1});  // [B, S, H, hd]
  auto k = norm_k(to_k(kv_in)).unflatten(2, {heads, -1});
  auto v = to_v(kv_in).unflatten(2, {heads, -1});
  if (cos.defined()) {
    q = apply_rope(q, cos, sin);
    k = apply_rope(k, cos, sin);
  }
  auto o = at::scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
  o = o.transpose(1, 2).flatten(2, 3).to(q.scalar_type());
  return to_out[0]->as<LinearImpl>()->forward(o);
}

namespace {
// diffusers' GELU(approximate="tanh") module: a projection named `proj` followed by the activation.
struct WanGeluProjImpl : torch::nn::Module {
  WanGeluProjImpl(int64_t in, int64_t out) { proj = register_module("proj", Linear(in, out)); }
  torch::Tensor forward(const torch::Tensor& x) { return torch::gelu(proj(x), "tanh"); }
  Linear proj{nullptr};
};
TORCH_MODULE(WanGeluProj);
}  // namespace

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t inner) {
  WanGeluProj act(dim, inner);
  proj_in = act->proj;
  proj_out = Linear(inner, dim);
  net = register_module("net", torch::nn::ModuleList(act, torch::nn::Identity(), proj_out));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return proj_out(torch::gelu(proj_in(x), "tanh"));
}

BlockImpl::BlockImpl(int64_t dim, int64_t ffn_dim, int64_t heads, bool cross_attn_norm_, double eps)
    : cross_attn_norm(cross_attn_norm_) {
  norm1 = register_module("norm1", LayerNorm(dim, eps, false));
  attn1 = register_module("attn1", Attention(dim, heads, eps));
  attn2 = register_module("attn2", Attention(dim, heads, eps));
  if (cross_attn_norm) norm2 = register_module("norm2", LayerNorm(dim, eps, true));
  ffn = register_module("ffn", FeedForward(dim, ffn_dim));
  norm3 = register_module("norm3", LayerNorm(dim, eps, false));
  scale_shift_table = register_parameter("scale_shift_table", torch::randn({1, 6, dim}) / std::sqrt(double(dim)));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& context,
                                 const torch::Tensor& time_proj, const torch::Tensor& cos, const torch::Tensor& sin) {
  const auto dtype = x_in.scalar_type();
  // shift, scale, gate (self-attention), shift, scale, gate (FFN): each [B, 1, dim], float32.
  auto mod = (scale_shift_table.to(torch::kFloat32) + time_proj.to(torch::kFloat32)).chunk(6, 1);
  auto n = (norm1(x_in) * (1 + mod[1]) + mod[0]).to(dtype);
  auto x = (x_in.to(torch::kFloat32) + attn1->forward(n, torch::Tensor(), cos, sin) * mod[2]).to(dtype);
  n = cross_attn_norm ? norm2(x).to(dtype) : x;
  x = x + attn2->forward(n, context, torch::Tensor(), torch::Tensor());
  n = (norm3(x) * (1 + mod[4]) + mod[3]).to(dtype);
  return (x.to(torch::kFloat32) + ffn(n).to(torch::kFloat32) * mod[5]).to(dtype);
}

std::vector<torch::Tensor> BlockImpl::trainable_tensors() {
  std::vector<torch::Tensor> out = parameters();
  for (auto& m : modules(/*include_self=*/false))
    if (auto* lin = m->as<LinearImpl>(); lin && lin->adapter)
      for (auto& p : lin->adapter->parameters()) out.push_back(p);
  return out;
}

namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct WanBlockCheckpoint : public torch::autograd::Function<WanBlockCheckpoint> {
  // Differentiable inputs: x, context, time_proj, then every trainable tensor of the block; the RoPE
  // tables and the block pointer live in saved_data.
  static variable_list forward(AutogradContext* ctx, BlockImpl* block, torch::Tensor x, torch::Tensor context,
                               torch::Tensor time_proj, torch::Tensor cos, torch::Tensor sin, at::TensorList params) {
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["cos"] = cos;
    ctx->saved_data["sin"] = sin;
    ctx->saved_data["num_params"] = static_cast<int64_t>(params.size());
    const auto ac = vdf::autocast::cuda_state();
    ctx->saved_data["autocast"] = ac.enabled;
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(ac.dtype);
    ctx->save_for_backward({x, context, time_proj});
    return {block->forward(x, context, time_proj, cos, sin)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto* block = reinterpret_cast<BlockImpl*>(ctx->saved_data["block"].toInt());
    auto saved = ctx->get_saved_variables();
    const int64_t num_params = ctx->saved_data["num_params"].toInt();
    vdf::autocast::State ac{ctx->saved_data["autocast"].toBool(),
                             static_cast<at::ScalarType>(ctx->saved_data["autocast_dtype"].toInt())};
    std::vector<torch::Tensor> inputs;
    for (auto& s : saved) inputs.push_back(s.detach().requires_grad_(s.requires_grad()));
    torch::Tensor out;
    {
      torch::AutoGradMode grad_on(true);
      vdf::autocast::Guard guard(at::kCUDA, ac);
      out = block->forward(inputs[0], inputs[1], inputs[2], ctx->saved_data["cos"].toTensor(),
                           ctx->saved_data["sin"].toTensor());
    }
    std::vector<torch::Tensor> wrt;
    std::vector<int> slot;  // result index: block, x, context, time_proj, cos, sin, params...
    for (int i = 0; i < 3; ++i)
      if (inputs[i].requires_grad()) wrt.push_back(inputs[i]), slot.push_back(1 + i);
    auto params = block->trainable_tensors();
    for (int64_t i = 0; i < num_params; ++i)
      if (params[i].requires_grad()) wrt.push_back(params[i]), slot.push_back(6 + static_cast<int>(i));
    variable_list result(6 + num_params);
    if (!wrt.empty()) {
      auto grads = torch::autograd::grad({out}, wrt, {grad_out[0]}, false, false, /*allow_unused=*/true);
      for (size_t i = 0; i < grads.size(); ++i) result[slot[i]] = grads[i];
    }
    return result;
  }
};
}  // namespace

torch::Tensor checkpointed_block(BlockImpl& block, const torch::Tensor& x, const torch::Tensor& context,
                                 const torch::Tensor& time_proj, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (!torch::GradMode::is_enabled()) return block.forward(x, context, time_proj, cos, sin);
  auto params = block.trainable_tensors();
  return WanBlockCheckpoint::apply(&block, x, context, time_proj, cos, sin, at::TensorList(params))[0];
}

}  // namespace vdf::wan
