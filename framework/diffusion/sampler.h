// Samplers that see the model only as a callback denoise(x, t, cond) -> prediction (in the objective's
// parameterization): Euler (flow ODE), DDIM (eta), DPM-Solver++(2M). Classifier-free guidance batches
// the conditional and unconditional halves into one call: pred = u + scale (c - u).
// Formulas: docs/diffusion.md.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/sample.h"
#include "framework/diffusion/conditioning.h"
#include "framework/diffusion/objective.h"
#include "framework/diffusion/schedule.h"

namespace vdf::diffusion {

class Sampler {
 public:
  Sampler(const config::DiffusionConfig& diffusion, const config::SampleConfig& sample);

  // The steps+1 nodes from noise (u = 1) to clean (u = 0) on the shifted grid u_i = shift(1 - i/steps).
  // `tokens` (video tokens per sample) matters only for auto-shift.
  std::vector<Node> nodes(int64_t tokens) const;
  // The shift used for sampling (sample.shift, else the training shift).
  double shift(int64_t tokens) const;

  // Full sampling from the seed: initial noise x ~ N(0, I) of `shape` is drawn on the CPU from
  // Generator(seed) (identical on every device), then moved to `device`. `uncond` is used when
  // cfg_scale != 1 (default: null_condition(cond)).
  torch::Tensor sample(const ModelFn& model, const std::vector<int64_t>& shape, const Conditioning& cond,
                       const Conditioning* uncond, int64_t tokens, const torch::Device& device) const;
  // Sampling from a given initial noise; DDIM eta noise comes from `gen`.
  torch::Tensor sample_from(const ModelFn& model, torch::Tensor x, const Conditioning& cond,
                            const Conditioning* uncond, int64_t tokens, torch::Generator& gen) const;

  // Optional per-step callback (step index, current x), e.g. for progress bars.
  std::function<void(int64_t, const torch::Tensor&)> on_step;

 private:
  torch::Tensor guided(const ModelFn& model, const torch::Tensor& x, double model_t, const Conditioning& cond,
                       const Conditioning* both) const;

  config::DiffusionConfig dcfg_;
  config::SampleConfig scfg_;
  NoiseProcess process_;
  Prediction prediction_;
};

}  // namespace vdf::diffusion
