#include "framework/diffusion/conditioning.h"

#include "framework/core/error.h"

namespace vdf::diffusion {

Conditioning Conditioning::to(const torch::Device& device) const {
  Conditioning c;
  c.text = text.to(device);
  c.text_mask = text_mask.to(device);
  if (pooled.defined()) c.pooled = pooled.to(device);
  return c;
}

Conditioning null_condition(const Conditioning& like) {
  Conditioning n;
  n.text = torch::zeros_like(like.text);
  n.text_mask = torch::zeros_like(like.text_mask);
  if (like.pooled.defined()) n.pooled = torch::zeros_like(like.pooled);
  return n;
}

Conditioning concat(const Conditioning& a, const Conditioning& b) {
  VDF_CHECK(a.text.size(1) == b.text.size(1) && a.text.size(2) == b.text.size(2),
            "concat conditions: text shapes differ ({} vs {}); pad texts to one length",
            c10::str(a.text.sizes()), c10::str(b.text.sizes()));
  Conditioning c;
  c.text = torch::cat({a.text, b.text}, 0);
  c.text_mask = torch::cat({a.text_mask, b.text_mask}, 0);
  VDF_CHECK(a.pooled.defined() == b.pooled.defined(), "concat conditions: pooled given for only one");
  if (a.pooled.defined()) c.pooled = torch::cat({a.pooled, b.pooled}, 0);
  return c;
}

Conditioning cfg_dropout(const Conditioning& cond, double p, torch::Generator& gen, const Conditioning* null_cond,
                         torch::Tensor* dropped, int64_t global_batch, int64_t offset) {
  const int64_t B = cond.batch();
  const int64_t G = global_batch > 0 ? global_batch : B;
  auto u = torch::rand({G}, gen, torch::TensorOptions().dtype(torch::kFloat64).device(gen.device()))
               .narrow(0, global_batch > 0 ? offset : 0, B);
  auto drop = (u < p).to(cond.text.device());
  if (dropped) *dropped = drop;
  const Conditioning null = null_cond ? *null_cond : null_condition(cond);
  auto pick = [&](const torch::Tensor& keep, const torch::Tensor& repl) {
    auto shape = std::vector<int64_t>(keep.dim(), 1);
    shape[0] = B;
    return torch::where(drop.view(shape), repl.to(keep.device()).expand_as(keep), keep);
  };
  Conditioning out;
  out.text = pick(cond.text, null.text);
  out.text_mask = pick(cond.text_mask, null.text_mask);
  if (cond.pooled.defined()) out.pooled = pick(cond.pooled, null.pooled);
  return out;
}

}  // namespace vdf::diffusion
