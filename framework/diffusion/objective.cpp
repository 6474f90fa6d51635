#include "framework/diffusion/objective.h"

#include "framework/core/error.h"

namespace vdf::diffusion {

Objective::Objective(const config::DiffusionConfig& cfg)
    : cfg_(cfg), process_(cfg), prediction_(cfg.prediction) {
  cfg.validate(config::Check("diffusion"));
}

torch::Tensor Objective::sample_timesteps(int64_t batch, int64_t tokens, torch::Generator& gen) const {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(gen.device());
  if (!process_.is_flow()) {
    auto idx = torch::randint(0, process_.num_train_timesteps(), {batch}, gen, opts.dtype(torch::kLong));
    return idx.to(torch::kFloat32) / static_cast<double>(process_.num_train_timesteps());
  }
  torch::Tensor t;
  if (cfg_.flow.timestep_sampling == config::TimestepSampling::uniform)
    t = torch::rand({batch}, gen, opts);
  else
    t = torch::sigmoid(torch::randn({batch}, gen, opts) * cfg_.flow.logit_normal_std + cfg_.flow.logit_normal_mean);
  return time_shift(t, training_shift(cfg_, tokens));
}

TrainingLossResult Objective::loss(const ModelFn& model, const torch::Tensor& x0, const Conditioning& cond,
                                   torch::Generator& gen, int64_t tokens, BatchSlice slice) const {
  VDF_CHECK(x0.dim() >= 2, "diffusion loss: x0 needs a batch dim, got {} dims", x0.dim());
  const int64_t B = x0.size(0);
  const int64_t G = slice.global > 0 ? slice.global : B;
  const int64_t off = slice.global > 0 ? slice.offset : 0;
  VDF_CHECK(off >= 0 && off + B <= G, "diffusion loss: batch slice [{}, {}) outside the global batch of {}", off, off + B,
            G);
  if (tokens <= 0) tokens = x0.dim() == 5 ? x0.size(2) * x0.size(3) * x0.size(4) : x0[0].numel();
  auto t = sample_timesteps(G, tokens, gen).narrow(0, off, B).to(x0.device());
  std::vector<int64_t> noise_shape = x0.sizes().vec();
  noise_shape[0] = G;
  auto noise = torch::randn(noise_shape, gen, torch::TensorOptions().dtype(torch::kFloat32).device(gen.device()))
                   .narrow(0, off, B)
                   .to(x0.device(), x0.scalar_type());
  const Conditioning c = cfg_dropout(cond, cfg_.cfg_dropout, gen, null_ ? &*null_ : nullptr, nullptr, G, off);
  return loss_at(model, x0, c, t, noise);
}

TrainingLossResult Objective::loss_at(const ModelFn& model, const torch::Tensor& x0, const Conditioning& cond,
                                      const torch::Tensor& t, const torch::Tensor& noise) const {
  torch::Tensor a, s;
  process_.coefficients(t, &a, &s);
  std::vector<int64_t> bshape(x0.dim(), 1);
  bshape[0] = x0.size(0);
  a = a.view(bshape).to(x0.scalar_type());
  s = s.view(bshape).to(x0.scalar_type());
  auto x_t = a * x0 + s * noise;
  auto pred = model(x_t, t.to(torch::kFloat32), cond);
  VDF_CHECK(pred.sizes() == x0.sizes(), "diffusion loss: model output {} does not match the input {}",
            c10::str(pred.sizes()), c10::str(x0.sizes()));
  auto target = prediction_target(prediction_, x0, noise, a, s);
  auto err = (pred.to(torch::kFloat32) - target.to(torch::kFloat32)).pow(2);
  TrainingLossResult r;
  r.per_sample = err.flatten(1).mean(1);
  r.loss = r.per_sample.mean();
  r.t = t.to(torch::kFloat32);
  return r;
}

}  // namespace vdf::diffusion
