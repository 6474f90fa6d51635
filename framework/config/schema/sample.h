// Config section `sample`: how latents are sampled (framework/diffusion/sampler.h). Used by `vdf sample`
// and by the trainer's periodic sampling. Formulas: docs/diffusion.md.
#pragma once
#include <cstdint>
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

enum class SamplerKind { euler, ddim, dpmpp2m };
VDF_CONFIG_ENUM(SamplerKind, {SamplerKind::euler, "euler"}, {SamplerKind::ddim, "ddim"},
                {SamplerKind::dpmpp2m, "dpmpp2m"})

struct SampleConfig {
  SamplerKind sampler = SamplerKind::euler;
  int64_t steps = 30;
  double cfg_scale = 5.0;         // classifier-free guidance scale; 1 = no guidance (one model call per step)
  int64_t seed = 0;               // initial noise (and DDIM eta noise) seed
  double eta = 0.0;               // DDIM stochasticity (0 = deterministic)
  double shift = 0.0;             // sampling time shift; 0 = same as training (diffusion.shift / auto_shift)

  template <class V>
  void visit(V& v) {
    v("sampler", sampler, "Euler (flow ODE), DDIM, or DPM-Solver++(2M)");
    v("steps", steps, "number of denoising steps");
    v("cfg_scale", cfg_scale, "classifier-free guidance scale (1 = off)");
    v("seed", seed, "seed of the initial noise");
    v("eta", eta, "DDIM eta (0 = deterministic); other samplers ignore it");
    v("shift", shift, "time shift s: t' = s t / (1 + (s-1) t); 0 = as in training");
  }
  void validate(const Check& c) const {
    c.require(steps >= 1, "steps", steps, ">= 1");
    c.require(cfg_scale >= 0, "cfg_scale", cfg_scale, ">= 0");
    c.require(eta >= 0, "eta", eta, ">= 0");
    c.require(shift >= 0, "shift", shift, ">= 0 (0 = as in training)");
  }
};

}  // namespace vdf::config
