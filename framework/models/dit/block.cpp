#include "framework/models/dit/block.h"

#include <torch/csrc/autograd/custom_function.h>

#include "framework/core/autocast.h"

namespace vdf::dit {

DitBlockImpl::DitBlockImpl(int64_t hidden, int64_t heads, int64_t mlp_inner, bool qk_norm, AttnMode mode_)
    : mode(mode_) {
  auto plain = torch::nn::LayerNormOptions({hidden}).elementwise_affine(false).eps(1e-6);
  norm1 = register_module("norm1", torch::nn::LayerNorm(plain));
  attn = register_module("attn", SelfAttention(hidden, heads, qk_norm));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(1e-6)));
  cross_attn = register_module("cross_attn", CrossAttention(hidden, heads, qk_norm));
  norm3 = register_module("norm3", torch::nn::LayerNorm(plain));
  mlp = register_module("mlp", Mlp(hidden, mlp_inner));
  adaLN_modulation = register_module(
      "adaLN_modulation", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(hidden, 6 * hidden)));
}

torch::Tensor DitBlockImpl::forward(const torch::Tensor& x, const BlockInputs& in) {
  return forward_explicit(x, in.c, in.text, in.text_mask, in.cos, in.sin, in.grid);
}

torch::Tensor DitBlockImpl::forward_explicit(const torch::Tensor& x, const torch::Tensor& c,
                                             const torch::Tensor& text, const torch::Tensor& text_mask,
                                             const torch::Tensor& cos, const torch::Tensor& sin,
                                             const Grid& g) {
  const int64_t B = x.size(0), N = x.size(1), D = x.size(2);
  auto mod = adaLN_modulation->forward(c).chunk(6, 1);
  auto h = modulate(norm1(x), mod[0], mod[1]);
  const int64_t hd = attn->head_dim;
  if (mode == AttnMode::full) {
    torch::Tensor cs, sn;
    if (cos.defined()) cs = cos.view({1, 1, N, hd}), sn = sin.view({1, 1, N, hd});
    h = attn(h, cs, sn);
  } else if (mode == AttnMode::spatial) {
    const int64_t T = g[0], S = g[1] * g[2];
    torch::Tensor cs, sn;
    if (cos.defined()) cs = cos.view({T, 1, S, hd}).repeat({B, 1, 1, 1}), sn = sin.view({T, 1, S, hd}).repeat({B, 1, 1, 1});
    h = attn(h.reshape({B * T, S, D}), cs, sn).reshape({B, N, D});
  } else {
    const int64_t T = g[0], S = g[1] * g[2];
    torch::Tensor cs, sn;
    if (cos.defined()) {
      cs = cos.view({T, S, hd}).transpose(0, 1).unsqueeze(1).repeat({B, 1, 1, 1});  // [B*S, 1, T, hd]
      sn = sin.view({T, S, hd}).transpose(0, 1).unsqueeze(1).repeat({B, 1, 1, 1});
    }
    auto ht = h.view({B, T, S, D}).transpose(1, 2).reshape({B * S, T, D});
    h = attn(ht, cs, sn).view({B, S, T, D}).transpose(1, 2).reshape({B, N, D});
  }
  auto out = x + mod[2].unsqueeze(1) * h;
  out = out + cross_attn(norm2(out), text, text_mask);
  out = out + mod[5].unsqueeze(1) * mlp(modulate(norm3(out), mod[3], mod[4]));
  return out;
}

namespace {

// A detached copy of x in host memory: pinned (so the copy back in backward is asynchronous) and
// written asynchronously on the current stream for CUDA tensors; x itself (no copy) when x is on the CPU.
torch::Tensor block_offload_to_host(const torch::Tensor& x) {
  if (!x.is_cuda()) return x.detach();
  auto host = torch::empty(x.sizes(), x.options().device(torch::kCPU).pinned_memory(true).requires_grad(false));
  host.copy_(x.detach(), /*non_blocking=*/true);
  return host;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct BlockCheckpoint : public torch::autograd::Function<BlockCheckpoint> {
  // Inputs: x, c, text (differentiable), then the block's parameters (so that their gradients flow
  // through this node). Mask, RoPE tables, grid and the block live in saved_data.
  static variable_list forward(AutogradContext* ctx, DitBlockImpl* block, const BlockInputs* in, bool offload,
                               torch::Tensor x, torch::Tensor c, torch::Tensor text, at::TensorList params) {
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["mask"] = in->text_mask;
    ctx->saved_data["cos"] = in->cos;
    ctx->saved_data["sin"] = in->sin;
    ctx->saved_data["grid"] = std::vector<int64_t>(in->grid.begin(), in->grid.end());
    ctx->saved_data["num_params"] = static_cast<int64_t>(params.size());
    const auto ac = vdf::autocast::cuda_state();
    ctx->saved_data["autocast"] = ac.enabled;
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(ac.dtype);
    // x is the only per-block activation kept (c and text are shared by all blocks): with offload it
    // waits for backward in host memory instead of on the device.
    ctx->saved_data["offload"] = offload;
    if (offload) {
      ctx->saved_data["x_host"] = block_offload_to_host(x);
      ctx->saved_data["x_requires_grad"] = x.requires_grad();
      ctx->save_for_backward({torch::Tensor(), c, text});
    } else {
      ctx->save_for_backward({x, c, text});
    }
    return {block->forward_explicit(x, c, text, in->text_mask, in->cos, in->sin, in->grid)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto* block = reinterpret_cast<DitBlockImpl*>(ctx->saved_data["block"].toInt());
    auto saved = ctx->get_saved_variables();
    auto gv = ctx->saved_data["grid"].toIntVector();
    const Grid grid{gv[0], gv[1], gv[2]};
    const int64_t num_params = ctx->saved_data["num_params"].toInt();
    vdf::autocast::State ac{ctx->saved_data["autocast"].toBool(),
                             static_cast<at::ScalarType>(ctx->saved_data["autocast_dtype"].toInt())};

    if (ctx->saved_data["offload"].toBool()) {
      // Back to the device of the conditioning (the block's device); async from pinned memory on CUDA.
      saved[0] = ctx->saved_data["x_host"].toTensor().to(saved[1].device(), /*non_blocking=*/true);
      saved[0].requires_grad_(ctx->saved_data["x_requires_grad"].toBool());
      ctx->saved_data.erase("x_host");  // the host copy is no longer needed
    }
    std::vector<torch::Tensor> inputs;
    for (auto& s : saved) inputs.push_back(s.detach().requires_grad_(s.requires_grad()));
    torch::Tensor out;
    {
      torch::AutoGradMode grad_on(true);
      vdf::autocast::Guard guard(at::kCUDA, ac);
      out = block->forward_explicit(inputs[0], inputs[1], inputs[2], ctx->saved_data["mask"].toTensor(),
                                    ctx->saved_data["cos"].toTensor(), ctx->saved_data["sin"].toTensor(), grid);
    }
    // Differentiate w.r.t. the inputs that need it and every trainable parameter.
    std::vector<torch::Tensor> wrt;
    std::vector<int> slot;  // index into the result list below
    for (int i = 0; i < 3; ++i)
      if (inputs[i].requires_grad()) wrt.push_back(inputs[i]), slot.push_back(3 + i);
    auto params = block->parameters();
    for (int64_t i = 0; i < num_params; ++i)
      if (params[i].requires_grad()) wrt.push_back(params[i]), slot.push_back(6 + static_cast<int>(i));
    // Result layout: one entry per forward argument: block, in, offload, x, c, text, params...
    variable_list result(6 + num_params);
    if (!wrt.empty()) {
      auto grads = torch::autograd::grad({out}, wrt, {grad_out[0]}, /*retain_graph=*/false,
                                         /*create_graph=*/false, /*allow_unused=*/true);
      for (size_t i = 0; i < grads.size(); ++i) result[slot[i]] = grads[i];
    }
    return result;
  }
};

}  // namespace

torch::Tensor checkpointed_block(DitBlockImpl& block, const torch::Tensor& x, const BlockInputs& in, bool offload) {
  if (!torch::GradMode::is_enabled()) return block.forward(x, in);
  auto params = block.parameters();
  return BlockCheckpoint::apply(&block, &in, offload, x, in.c, in.text, at::TensorList(params))[0];
}

}  // namespace vdf::dit
