// The Wan samplers (sample.sampler flow_euler / unipc) against the live diffusers schedulers on a fixed
// linear velocity field (tests/wan/wan_reference.py schedulers): the sigma and timestep sequences (float32,
// |diff| <= 1e-6 resp. 1e-3 on the 0..1000 scale) and the state after every step (relative error <= 1e-5;
// the solver coefficients are computed in double here, float32 in diffusers), plus CFG with a negative
// prompt.
#include <catch2/catch.hpp>

#include "framework/diffusion/flow_schedulers.h"
#include "framework/diffusion/sampler.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/test_support.h"
#include "tests/wan/wan_fixtures.h"

using namespace vdf;
using vdf::testing::rel_err;

namespace {

torch::Tensor as_tensor(const std::vector<float>& v) { return torch::tensor(v); }

// The reference field: v(x, t) = 0.5 x + (t - 0.3) ref + c ref, with c = text[:, 0, 0] per sample.
diffusion::ModelFn reference_field(const torch::Tensor& ref) {
  return [ref](const torch::Tensor& x, const torch::Tensor& t, const diffusion::Conditioning& c) {
    auto tt = t.view({-1, 1, 1, 1, 1});
    auto cc = c.text.select(1, 0).select(1, 0).view({-1, 1, 1, 1, 1});
    return 0.5 * x + (tt - 0.3) * ref + cc * ref;
  };
}

diffusion::Conditioning text_value(float v) {
  diffusion::Conditioning c;
  c.text = torch::full({1, 1, 1}, v);
  c.text_mask = torch::ones({1, 1}, torch::kBool);
  return c;
}

}  // namespace

TEST_CASE("wan: flow_euler and unipc match diffusers step by step, and CFG with a negative prompt", "[wan][parity]") {
  testing::TempDir tmp("vdf-wan-sched");
  if (!testing::run_wan_reference("schedulers", tmp.path())) return;
  const auto r = tensor_io::load_safetensors(tmp / "schedulers.safetensors");
  const auto x_init = r.at("x_init"), ref = r.at("ref");
  config::DiffusionConfig dcfg;  // flow, velocity
  const std::vector<std::pair<int64_t, double>> runs = {{10, 3.0}, {7, 5.0}};
  for (const auto& [steps, shift] : runs) {
    const std::string tag = std::to_string(steps) + "_" + std::to_string(static_cast<int>(shift));
    for (auto kind : {config::SamplerKind::flow_euler, config::SamplerKind::unipc}) {
      const std::string name = kind == config::SamplerKind::unipc ? "unipc" : "euler";
      INFO(name << " " << tag);
      const auto sched = kind == config::SamplerKind::unipc ? diffusion::unipc_flow_schedule(steps, shift)
                                                            : diffusion::flow_match_euler_schedule(steps, shift);
      CHECK(testing::max_abs(as_tensor(sched.sigmas), r.at(name + "_" + tag + "_sigmas")) < 1e-6);
      CHECK(testing::max_abs(as_tensor(sched.timesteps), r.at(name + "_" + tag + "_timesteps")) < 1e-3);

      config::SampleConfig scfg;
      scfg.sampler = kind;
      scfg.steps = steps;
      scfg.shift = shift;
      scfg.cfg_scale = 1.0;
      diffusion::Sampler sampler(dcfg, scfg);
      std::vector<torch::Tensor> xs;
      sampler.on_step = [&](int64_t, const torch::Tensor& x) { xs.push_back(x.clone()); };
      torch::Generator gen = at::detail::createCPUGenerator(0);
      sampler.sample_from(reference_field(ref), x_init.clone(), text_value(0.0f), nullptr, 0, gen);
      const auto expected = r.at(name + "_" + tag + "_xs");
      REQUIRE(static_cast<int64_t>(xs.size()) == steps);
      for (int64_t i = 0; i < steps; ++i) {
        INFO("step " << i << " rel err " << rel_err(xs[i], expected[i]));
        CHECK(rel_err(xs[i], expected[i]) < 1e-5);
      }
    }
  }
  // CFG: scale 5, the conditional branch with c = 1, the negative prompt's with c = -0.5.
  config::SampleConfig scfg;
  scfg.sampler = config::SamplerKind::unipc;
  scfg.steps = 10;
  scfg.shift = 3.0;
  scfg.cfg_scale = 5.0;
  diffusion::Sampler sampler(dcfg, scfg);
  torch::Generator gen = at::detail::createCPUGenerator(0);
  const auto negative = text_value(-0.5f);
  const auto x = sampler.sample_from(reference_field(ref), x_init.clone(), text_value(1.0f), &negative, 0, gen);
  INFO("cfg rel err " << rel_err(x, r.at("unipc_cfg")));
  CHECK(rel_err(x, r.at("unipc_cfg")) < 1e-5);
}

TEST_CASE("wan: unipc rejects a DDPM objective and bad orders", "[wan]") {
  config::DiffusionConfig dcfg;
  dcfg.objective = config::Objective::ddpm;
  dcfg.prediction = config::Prediction::eps;
  config::SampleConfig scfg;
  scfg.sampler = config::SamplerKind::unipc;
  torch::Generator gen = at::detail::createCPUGenerator(0);
  auto fn = [](const torch::Tensor& x, const torch::Tensor&, const diffusion::Conditioning&) { return x; };
  scfg.cfg_scale = 1.0;
  diffusion::Sampler s1(dcfg, scfg);
  CHECK_THROWS_WITH(s1.sample_from(fn, torch::zeros({1, 1, 1, 1, 1}), text_value(0), nullptr, 0, gen),
                    Catch::Contains("diffusion.objective=flow"));
  CHECK_THROWS(diffusion::UniPC({1.0f, 0.0f}, 4));
}
