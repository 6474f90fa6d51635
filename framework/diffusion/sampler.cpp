#include "framework/diffusion/sampler.h"

#include <cmath>
#include <limits>

#include "framework/core/error.h"
#include "framework/diffusion/flow_schedulers.h"

namespace vdf::diffusion {

Sampler::Sampler(const config::DiffusionConfig& d, const config::SampleConfig& s)
    : dcfg_(d), scfg_(s), process_(d), prediction_(d.prediction) {
  d.validate(config::Check("diffusion"));
  s.validate(config::Check("sample"));
}

double Sampler::shift(int64_t tokens) const { return scfg_.shift > 0 ? scfg_.shift : training_shift(dcfg_, tokens); }

std::vector<Node> Sampler::nodes(int64_t tokens) const {
  const double sh = shift(tokens);
  std::vector<Node> out;
  for (int64_t i = 0; i <= scfg_.steps; ++i) {
    const double u = 1.0 - static_cast<double>(i) / static_cast<double>(scfg_.steps);
    out.push_back(process_.node(i == scfg_.steps ? 0.0 : time_shift(u, sh)));
  }
  return out;
}

torch::Tensor Sampler::guided(const ModelFn& model, const torch::Tensor& x, double model_t,
                              const Conditioning& cond, const Conditioning* both) const {
  const int64_t B = x.size(0);
  auto topts = torch::TensorOptions().dtype(torch::kFloat32).device(x.device());
  if (!both) return model(x, torch::full({B}, model_t, topts), cond);
  auto pred = model(torch::cat({x, x}, 0), torch::full({2 * B}, model_t, topts), *both);
  auto c = pred.narrow(0, 0, B), u = pred.narrow(0, B, B);
  return u + scfg_.cfg_scale * (c - u);
}

torch::Tensor Sampler::sample(const ModelFn& model, const std::vector<int64_t>& shape, const Conditioning& cond,
                              const Conditioning* uncond, int64_t tokens, const torch::Device& device) const {
  torch::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(scfg_.seed));
  auto x = torch::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat32)).to(device);
  return sample_from(model, x, cond.to(device), uncond, tokens, gen);
}

torch::Tensor Sampler::sample_from(const ModelFn& model, torch::Tensor x, const Conditioning& cond,
                                   const Conditioning* uncond, int64_t tokens, torch::Generator& gen) const {
  const bool cfg = scfg_.cfg_scale != 1.0;
  std::optional<Conditioning> both;
  if (cfg) both = concat(cond, uncond ? uncond->to(x.device()) : null_condition(cond));
  const config::SamplerKind kind = scfg_.sampler;
  if (kind == config::SamplerKind::flow_euler || kind == config::SamplerKind::unipc) {
    // diffusers' flow schedulers (flow_schedulers.h): the model sees t = timestep / 1000.
    VDF_CHECK(process_.is_flow(), "sample.sampler={} needs diffusion.objective=flow", config::enum_name(kind));
    const double sh = shift(tokens);
    const FlowSchedule sched = kind == config::SamplerKind::unipc ? unipc_flow_schedule(scfg_.steps, sh)
                                                                  : flow_match_euler_schedule(scfg_.steps, sh);
    UniPC unipc(sched.sigmas, scfg_.unipc_order);
    for (int64_t i = 0; i < scfg_.steps; ++i) {
      auto v = guided(model, x, sched.timesteps[i] / 1000.0, cond, both ? &*both : nullptr);
      if (kind == config::SamplerKind::unipc)
        x = unipc.step(v, x);
      else
        x = (x + (sched.sigmas[i + 1] - sched.sigmas[i]) * v).to(x.scalar_type());
      if (on_step) on_step(i, x);
    }
    return x;
  }
  const auto ns = nodes(tokens);
  torch::Tensor prev_x0;
  double prev_h = std::numeric_limits<double>::quiet_NaN();
  for (int64_t i = 0; i + 1 < static_cast<int64_t>(ns.size()); ++i) {
    const Node& cur = ns[i];
    const Node& nxt = ns[i + 1];
    auto pred = guided(model, x, cur.model_t, cond, both ? &*both : nullptr);
    if (kind == config::SamplerKind::euler && process_.is_flow()) {
      x = x + (nxt.model_t - cur.model_t) * pred;  // dx/dt = v
    } else {
      torch::Tensor x0, eps;
      prediction_to_x0_eps(prediction_, pred, x, cur.a, cur.s, &x0, &eps);
      if (kind == config::SamplerKind::dpmpp2m) {
        if (nxt.s <= 0) {
          x = nxt.a * x0;
        } else {
          const double lam = std::log(cur.a) - std::log(cur.s), lam_next = std::log(nxt.a) - std::log(nxt.s);
          const double h = lam_next - lam;
          torch::Tensor D = x0;
          if (prev_x0.defined() && std::isfinite(prev_h) && std::isfinite(h)) {
            const double r = prev_h / h;
            D = (1.0 + 1.0 / (2.0 * r)) * x0 - (1.0 / (2.0 * r)) * prev_x0;
          }
          x = (nxt.s / cur.s) * x - nxt.a * std::expm1(-h) * D;
          prev_h = h;
        }
        prev_x0 = x0;
      } else {  // ddim (and euler for ddpm, which is DDIM with eta = 0)
        const double eta = kind == config::SamplerKind::ddim ? scfg_.eta : 0.0;
        double c = 0.0;
        if (eta > 0 && nxt.s > 0) {
          const double ratio = (nxt.s * cur.a) / (nxt.a * cur.s);
          c = eta * nxt.s * std::sqrt(std::max(0.0, 1.0 - ratio * ratio));
        }
        x = nxt.a * x0 + std::sqrt(std::max(0.0, nxt.s * nxt.s - c * c)) * eps;
        if (c > 0) {
          auto z = torch::randn(x.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32).device(gen.device()));
          x = x + c * z.to(x.device(), x.scalar_type());
        }
      }
    }
    if (on_step) on_step(i, x);
  }
  return x;
}

}  // namespace vdf::diffusion
