// Config section `sample`: how latents are sampled (framework/diffusion/sampler.h). Used by `vdf sample`
// and by the trainer's periodic sampling. Formulas: docs/diffusion.md.
#pragma once
#include <cstdint>
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

// flow_euler and unipc reproduce diffusers' FlowMatchEulerDiscreteScheduler and UniPCMultistepScheduler
// (flow sigmas) as Wan 2.1 samples with (framework/diffusion/flow_schedulers.h); objective flow only.
enum class SamplerKind { euler, ddim, dpmpp2m, flow_euler, unipc };
VDF_CONFIG_ENUM(SamplerKind, {SamplerKind::euler, "euler"}, {SamplerKind::ddim, "ddim"},
                {SamplerKind::dpmpp2m, "dpmpp2m"}, {SamplerKind::flow_euler, "flow_euler"},
                {SamplerKind::unipc, "unipc"})

struct SampleConfig {
  SamplerKind sampler = SamplerKind::euler;
  int64_t steps = 30;
  double cfg_scale = 5.0;         // classifier-free guidance scale; 1 = no guidance (one model call per step)
  int64_t seed = 0;               // initial noise (and DDIM eta noise) seed
  double eta = 0.0;               // DDIM stochasticity (0 = deterministic)
  double shift = 0.0;             // sampling time shift; 0 = same as training (diffusion.shift / auto_shift)
  int64_t unipc_order = 2;        // unipc: solver order (Wan: 2)
  std::string negative_prompt;    // CFG: the unconditional branch encodes this prompt ('' = the null condition)

  template <class V>
  void visit(V& v) {
    v("sampler", sampler, "Euler (flow ODE), DDIM, DPM-Solver++(2M), or diffusers' flow_euler / unipc (Wan)");
    v("steps", steps, "number of denoising steps");
    v("cfg_scale", cfg_scale, "classifier-free guidance scale (1 = off)");
    v("seed", seed, "seed of the initial noise");
    v("eta", eta, "DDIM eta (0 = deterministic); other samplers ignore it");
    v("shift", shift, "time shift s: t' = s t / (1 + (s-1) t); 0 = as in training");
    v("unipc_order", unipc_order, "unipc: solver order (1-3; Wan uses 2)",
      When{sampler == SamplerKind::unipc, "sample.sampler is unipc", "sampler"});
    v("negative_prompt", negative_prompt, "CFG: prompt of the unconditional branch ('' = null condition)");
  }
  void validate(const Check& c) const {
    c.require(steps >= 1, "steps", steps, ">= 1");
    c.require(cfg_scale >= 0, "cfg_scale", cfg_scale, ">= 0");
    c.require(eta >= 0, "eta", eta, ">= 0");
    c.require(shift >= 0, "shift", shift, ">= 0 (0 = as in training)");
    c.require(unipc_order >= 1 && unipc_order <= 3, "unipc_order", unipc_order, "1, 2 or 3");
  }
};

}  // namespace vdf::config
