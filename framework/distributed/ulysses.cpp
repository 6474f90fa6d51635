#include "framework/distributed/ulysses.h"

#include <torch/csrc/autograd/custom_function.h>

#include "framework/core/error.h"

namespace vdf::distributed {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor ulysses_exchange(Context& ctx, const torch::Tensor& x) {
  torch::Tensor in = x.contiguous();
  torch::Tensor out = torch::empty_like(in);
  ctx.all_to_all(out, in);
  return out;
}

// All-to-all along dim 0 (P chunks): its adjoint is the same exchange.
struct UlyssesAllToAll : torch::autograd::Function<UlyssesAllToAll> {
  static torch::Tensor forward(AutogradContext* actx, const torch::Tensor& x, Context* ctx) {
    actx->saved_data["ctx"] = reinterpret_cast<int64_t>(ctx);
    return ulysses_exchange(*ctx, x);
  }
  static variable_list backward(AutogradContext* actx, variable_list grads) {
    auto* ctx = reinterpret_cast<Context*>(actx->saved_data["ctx"].toInt());
    return {ulysses_exchange(*ctx, grads[0]), torch::Tensor()};
  }
};

// Forward: all-gather of [P x local] (rank order); backward: reduce-scatter (sum) of the gradient.
struct UlyssesGather : torch::autograd::Function<UlyssesGather> {
  static torch::Tensor forward(AutogradContext* actx, const torch::Tensor& local, Context* ctx) {
    actx->saved_data["ctx"] = reinterpret_cast<int64_t>(ctx);
    torch::Tensor in = local.contiguous();
    std::vector<int64_t> shape{ctx->world_size()};
    for (int64_t s : in.sizes()) shape.push_back(s);
    torch::Tensor full = torch::empty(shape, in.options());
    torch::Tensor flat = full.view({-1});
    ctx->all_gather_into(flat, in.view({-1}));
    return full;  // [P, ...local]
  }
  static variable_list backward(AutogradContext* actx, variable_list grads) {
    auto* ctx = reinterpret_cast<Context*>(actx->saved_data["ctx"].toInt());
    torch::Tensor g = grads[0].contiguous();
    torch::Tensor mine = torch::empty(g.sizes().slice(1), g.options());
    torch::Tensor flat = mine.view({-1});
    ctx->reduce_scatter_sum(flat, g.view({-1}));
    return {mine, torch::Tensor()};
  }
};

}  // namespace

UlyssesSequenceParallel::UlyssesSequenceParallel(std::shared_ptr<Context> ctx) : ctx_(std::move(ctx)) {}

torch::Tensor UlyssesSequenceParallel::attention(const torch::Tensor& q, const torch::Tensor& k,
                                                 const torch::Tensor& v) {
  const int64_t P = degree();
  const int64_t B = q.size(0), H = q.size(1), Lp = q.size(2), hd = q.size(3);
  VDF_CHECK(H % P == 0, "sequence parallel: {} attention heads are not divisible by distributed.sequence_parallel {}",
            H, P);
  // [B, H, Lp, hd] -> [P (head group = destination), B, H/P, Lp, hd] -> exchange -> [P (token block =
  // source), B, H/P, Lp, hd] -> [B, H/P, L, hd].
  auto to_heads = [&](const torch::Tensor& x) {
    auto chunks = x.reshape({B, P, H / P, Lp, hd}).permute({1, 0, 2, 3, 4});
    auto got = UlyssesAllToAll::apply(chunks, ctx_.get());
    return got.permute({1, 2, 0, 3, 4}).reshape({B, H / P, P * Lp, hd});
  };
  auto o = at::scaled_dot_product_attention(to_heads(q), to_heads(k), to_heads(v));  // [B, H/P, L, hd]
  // Back: [B, H/P, P (token block = destination), Lp, hd] -> exchange -> [P (head group), B, H/P, Lp, hd].
  auto chunks = o.reshape({B, H / P, P, Lp, hd}).permute({2, 0, 1, 3, 4});
  auto got = UlyssesAllToAll::apply(chunks, ctx_.get());
  return got.permute({1, 0, 2, 3, 4}).reshape({B, H, Lp, hd});
}

torch::Tensor UlyssesSequenceParallel::gather_tokens(const torch::Tensor& local, int64_t dim) {
  auto full = UlyssesGather::apply(local, ctx_.get());  // [P, ...local]
  // Move the rank axis next to `dim` and merge: concatenation in rank order.
  const int64_t d = dim < 0 ? dim + local.dim() : dim;
  auto moved = full.movedim(0, d);  // [..., P, n_local, ...]
  std::vector<int64_t> shape = local.sizes().vec();
  shape[d] *= degree();
  return moved.reshape(shape);
}

}  // namespace vdf::distributed
