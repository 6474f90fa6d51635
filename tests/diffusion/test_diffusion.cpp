// Diffusion: schedules at known t, shifts, objectives, CFG dropout, samplers on an analytic Gaussian,
// determinism.
#include <catch2/catch.hpp>

#include <cmath>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/diffusion/conditioning.h"
#include "framework/diffusion/objective.h"
#include "framework/diffusion/sampler.h"
#include "framework/diffusion/schedule.h"

using namespace vdf;
using namespace vdf::diffusion;

namespace {

template <typename E>
E by_name(const std::string& name) { return config::parse_enum_or_fail<E>(name, "test case choice"); }

Conditioning dummy_cond(int64_t B) {
  return {torch::ones({B, 2, 3}), torch::ones({B, 2}, torch::kBool), torch::ones({B, 5})};
}

// The exact denoiser of data x0 ~ N(mu, sd^2) (elementwise) under x = a x0 + s eps, returned in the
// objective's parameterization.
ModelFn gaussian_denoiser(const NoiseProcess& proc, Prediction pred, double mu, double sd, int* calls = nullptr) {
  return [=, &proc](const torch::Tensor& x, const torch::Tensor& t, const Conditioning&) {
    if (calls) ++*calls;
    const Node n = proc.at_model_time(t[0].item<double>());
    const double var = n.a * n.a * sd * sd + n.s * n.s;
    auto centered = x - n.a * mu;
    auto x0 = mu + (n.a * sd * sd / var) * centered;
    auto eps = (n.s / var) * centered;
    switch (pred) {
      case Prediction::velocity: return eps - x0;
      case Prediction::eps: return eps;
      case Prediction::v: return n.a * eps - n.s * x0;
    }
    return torch::Tensor();
  };
}

}  // namespace

TEST_CASE("diffusion: schedule values at known t", "[unit][diffusion]") {
  auto lin = make_betas("linear", 1000, 1e-4, 0.02);
  CHECK(lin.front() == Approx(1e-4).epsilon(1e-12));
  CHECK(lin.back() == Approx(0.02).epsilon(1e-12));
  CHECK(lin[500] == Approx(1e-4 + (0.02 - 1e-4) * 500.0 / 999.0).epsilon(1e-12));
  auto ab = alphas_cumprod(lin);
  CHECK(ab[0] == Approx(1 - 1e-4).epsilon(1e-12));
  CHECK(ab[1] == Approx((1 - 1e-4) * (1 - lin[1])).epsilon(1e-12));
  CHECK(ab.back() == Approx(4.0358e-05).epsilon(1e-3));  // the well-known DDPM terminal alpha_bar

  auto sl = make_betas("scaled_linear", 1000, 0.00085, 0.012);
  CHECK(sl.front() == Approx(0.00085).epsilon(1e-12));
  CHECK(sl.back() == Approx(0.012).epsilon(1e-12));

  // Cosine: alpha_bar_i = f((i+1)/N) / f(0), f(t) = cos^2((t + s)/(1 + s) pi/2) (before clipping).
  auto cab = alphas_cumprod(make_betas("cosine", 1000, 1e-4, 0.02));
  auto f = [](double t) {
    const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
    return c * c;
  };
  for (int i : {0, 249, 499, 749}) CHECK(cab[i] == Approx(f((i + 1) / 1000.0) / f(0)).epsilon(1e-9));
  CHECK(cab[499] == Approx(0.4938436).margin(1e-6));  // f(0.5)/f(0), computed with Python math

  // Zero terminal SNR: last alpha_bar exactly 0, first unchanged, monotone.
  auto zt = alphas_cumprod(rescale_zero_terminal_snr(lin));
  CHECK(std::abs(zt.back()) < 1e-12);
  CHECK(zt.front() == Approx(ab.front()).epsilon(1e-12));
  for (size_t i = 1; i < zt.size(); ++i) CHECK(zt[i] <= zt[i - 1]);

  config::DiffusionConfig d;
  d.objective = config::Objective::ddpm;
  d.prediction = config::Prediction::v;
  d.ddpm.zero_terminal_snr = true;
  NoiseProcess p(d);
  CHECK(p.node(1.0).a == 0.0);
  CHECK(p.node(1.0).s == 1.0);
  CHECK(p.node(0.0).s == 0.0);
  CHECK(p.at_model_time(0.5).a == Approx(std::sqrt(zt[500])));
}

TEST_CASE("diffusion: time shift, auto shift by token count, flow process", "[unit][diffusion]") {
  CHECK(time_shift(0.5, 3.0) == Approx(0.75));
  CHECK(time_shift(1.0, 3.0) == 1.0);
  CHECK(time_shift(0.0, 3.0) == 0.0);
  CHECK(time_shift(0.3, 1.0) == Approx(0.3));
  config::DiffusionConfig d;
  CHECK(shift_for_tokens(d, 256) == Approx(std::exp(0.5)));
  CHECK(shift_for_tokens(d, 4096) == Approx(std::exp(1.15)));
  CHECK(training_shift(d, 4096) == 1.0);
  d.auto_shift = true;
  CHECK(training_shift(d, 4096) == Approx(std::exp(1.15)));
  NoiseProcess flow(d);
  auto n = flow.node(0.25);
  CHECK(n.a == 0.75);
  CHECK(n.s == 0.25);
  CHECK(n.model_t == 0.25);
}

TEST_CASE("diffusion: logit-normal timestep sampling matches its mean and std; shift moves it",
          "[unit][diffusion]") {
  config::DiffusionConfig d;
  d.flow.logit_normal_mean = 0.5;
  d.flow.logit_normal_std = 0.8;
  Objective obj(d);
  auto gen = at::detail::createCPUGenerator(1);
  auto t = obj.sample_timesteps(20000, 256, gen).to(torch::kFloat64);
  auto logit = torch::log(t / (1 - t));
  CHECK(logit.mean().item<double>() == Approx(0.5).margin(0.03));
  CHECK(logit.std().item<double>() == Approx(0.8).margin(0.03));
  d.shift = 3.0;
  Objective shifted(d);
  auto gen2 = at::detail::createCPUGenerator(1);
  auto ts = shifted.sample_timesteps(20000, 256, gen2).to(torch::kFloat64);
  CHECK(torch::allclose(ts, 3 * t / (1 + 2 * t), 1e-5, 1e-6));
  config::DiffusionConfig dd;
  dd.objective = config::Objective::ddpm;
  dd.prediction = config::Prediction::eps;
  Objective ddpm(dd);
  auto ti = ddpm.sample_timesteps(1000, 0, gen);
  CHECK(ti.min().item<double>() >= 0.0);
  CHECK(ti.max().item<double>() <= 0.999 + 1e-6);
  CHECK(torch::allclose(ti * 1000, (ti * 1000).round(), 0, 1e-3));
}

TEST_CASE("diffusion: objectives build x_t and targets by their formulas", "[unit][diffusion]") {
  auto x0 = torch::randn({3, 2, 1, 4, 4});
  auto noise = torch::randn({3, 2, 1, 4, 4});
  auto t = torch::tensor({0.1f, 0.5f, 0.9f});
  auto cond = dummy_cond(3);
  torch::Tensor seen_x, seen_t;
  for (std::string kind : {"flow", "eps", "v"}) {
    config::DiffusionConfig d;
    if (kind != "flow")
      d.objective = config::Objective::ddpm, d.prediction = by_name<config::Prediction>(kind),
      d.ddpm.schedule = config::BetaSchedule::cosine;
    Objective obj(d);
    torch::Tensor a, s;
    obj.process().coefficients(t, &a, &s);
    a = a.view({3, 1, 1, 1, 1});
    s = s.view({3, 1, 1, 1, 1});
    torch::Tensor target = kind == "flow" ? noise - x0 : kind == "eps" ? noise : a * noise - s * x0;
    auto oracle = [&](const torch::Tensor& x, const torch::Tensor& tt, const Conditioning&) {
      seen_x = x;
      seen_t = tt;
      return target;
    };
    auto r = obj.loss_at(oracle, x0, cond, t, noise);
    CHECK(r.loss.item<double>() == Approx(0.0).margin(1e-12));
    CHECK(torch::allclose(seen_x, a * x0 + s * noise, 1e-6, 1e-6));
    CHECK(torch::equal(seen_t, t));
    if (kind == "flow") CHECK(torch::allclose(seen_x, (1 - t.view({3, 1, 1, 1, 1})) * x0 + t.view({3, 1, 1, 1, 1}) * noise));
    auto zero = [&](const torch::Tensor& x, const torch::Tensor&, const Conditioning&) { return torch::zeros_like(x); };
    auto rz = obj.loss_at(zero, x0, cond, t, noise);
    CHECK(rz.per_sample.size(0) == 3);
    CHECK(rz.per_sample[1].item<double>() == Approx(target[1].pow(2).mean().item<double>()).epsilon(1e-5));
  }
}

TEST_CASE("diffusion: CFG dropout replaces the condition with probability p, seeded", "[unit][diffusion]") {
  const int64_t B = 2000;
  Conditioning c{torch::randn({B, 4, 3}), torch::ones({B, 4}, torch::kBool), torch::randn({B, 5})};
  auto gen = at::detail::createCPUGenerator(5);
  torch::Tensor dropped;
  auto none = cfg_dropout(c, 0.0, gen);
  CHECK(torch::equal(none.text, c.text));
  auto all = cfg_dropout(c, 1.0, gen);
  CHECK(all.text.abs().max().item<float>() == 0.0f);
  CHECK_FALSE(all.text_mask.any().item<bool>());
  CHECK(all.pooled.abs().max().item<float>() == 0.0f);
  auto g1 = at::detail::createCPUGenerator(9), g2 = at::detail::createCPUGenerator(9);
  auto half = cfg_dropout(c, 0.3, g1, nullptr, &dropped);
  const double frac = dropped.to(torch::kFloat64).mean().item<double>();
  CHECK(frac == Approx(0.3).margin(0.04));
  auto again = cfg_dropout(c, 0.3, g2);
  CHECK(torch::equal(half.text, again.text));
  CHECK(torch::equal(half.text_mask.any(1).logical_not(), dropped));
  // A custom null condition (e.g. the encoder's embedding of "") is broadcast.
  Conditioning null{torch::full({1, 4, 3}, 7.0), torch::zeros({1, 4}, torch::kBool), torch::full({1, 5}, 7.0)};
  auto g3 = at::detail::createCPUGenerator(9);
  auto custom = cfg_dropout(c, 0.3, g3, &null);
  CHECK(torch::equal(custom.text.index({dropped}), torch::full({dropped.sum().item<int64_t>(), 4, 3}, 7.0)));
}

TEST_CASE("diffusion: samplers reach an analytic Gaussian target's mean and std", "[unit][diffusion]") {
  const double mu = 1.5, sd = 0.5;
  struct Case {
    std::string objective, prediction, schedule, sampler;
    int64_t steps;
    double eta;
    bool zero_snr;
    double shift;
  };
  // Steps are chosen so that the discretization error (computed for these exact grids: first-order
  // samplers at 200 steps leave std ~1.5% low, DPM-Solver++(2M) at 50 steps ~0.1%) is inside the tolerance.
  const std::vector<Case> cases = {
      {"flow", "velocity", "linear", "euler", 200, 0, false, 1.0},
      {"flow", "velocity", "linear", "euler", 200, 0, false, 3.0},
      {"flow", "velocity", "linear", "dpmpp2m", 50, 0, false, 1.0},
      {"flow", "velocity", "linear", "dpmpp2m", 50, 0, false, 3.0},
      {"flow", "velocity", "linear", "ddim", 200, 0, false, 1.0},
      {"flow", "velocity", "linear", "ddim", 300, 1.0, false, 1.0},
      {"ddpm", "eps", "linear", "ddim", 200, 0, false, 1.0},
      {"ddpm", "eps", "linear", "ddim", 300, 1.0, false, 1.0},
      {"ddpm", "eps", "linear", "dpmpp2m", 50, 0, false, 1.0},
      {"ddpm", "v", "cosine", "dpmpp2m", 50, 0, false, 1.0},
      {"ddpm", "v", "scaled_linear", "dpmpp2m", 200, 0, true, 1.0},  // steep start: 50 steps leave std 3.3% low
      {"ddpm", "v", "linear", "ddim", 200, 0, true, 1.0},
      {"ddpm", "v", "linear", "euler", 200, 0, true, 1.0},
  };
  for (const auto& k : cases) {
    config::DiffusionConfig d;
    d.objective = by_name<config::Objective>(k.objective);
    d.prediction = by_name<config::Prediction>(k.prediction);
    d.ddpm.schedule = by_name<config::BetaSchedule>(k.schedule);
    if (k.schedule == "scaled_linear") d.ddpm.beta_start = 0.00085, d.ddpm.beta_end = 0.012;
    d.ddpm.zero_terminal_snr = k.zero_snr;
    config::SampleConfig s;
    s.sampler = by_name<config::SamplerKind>(k.sampler);
    s.steps = k.steps;
    s.eta = k.eta;
    s.cfg_scale = 1.0;
    s.shift = k.shift;
    s.seed = 123;
    Sampler sampler(d, s);
    NoiseProcess proc(d);
    auto model = gaussian_denoiser(proc, d.prediction, mu, sd);
    auto x = sampler.sample(model, {2, 10000}, dummy_cond(2), nullptr, 256, torch::kCPU);
    const double m = x.mean().item<double>(), std = x.std().item<double>();
    INFO(k.objective << "/" << k.prediction << "/" << k.schedule << " " << k.sampler << " steps " << k.steps
                     << " eta " << k.eta << " shift " << k.shift << ": mean " << m << " std " << std);
    // Tolerances: mean +-0.03 (sampling error ~0.004 for 20000 samples), std within 3%.
    CHECK(m == Approx(mu).margin(0.03));
    CHECK(std == Approx(sd).epsilon(0.03));
    CHECK(torch::isfinite(x).all().item<bool>());
  }
}

TEST_CASE("diffusion: sampling is bit-identical for the same seed; CFG batches cond and uncond",
          "[unit][diffusion]") {
  config::DiffusionConfig d;
  for (std::string kind : {"euler", "ddim", "dpmpp2m"}) {
    config::SampleConfig s;
    s.sampler = by_name<config::SamplerKind>(kind);
    s.steps = 8;
    s.eta = kind == "ddim" ? 0.7 : 0.0;
    s.cfg_scale = 4.0;
    s.seed = 42;
    Sampler sampler(d, s);
    // A "model" that depends on the condition: cond rows (mask true) and null rows (mask false) differ.
    std::vector<int64_t> batches;
    auto model = [&](const torch::Tensor& x, const torch::Tensor& t, const Conditioning& c) {
      batches.push_back(x.size(0));
      auto m = c.text_mask.any(1).to(torch::kFloat32).view({-1, 1, 1, 1, 1});
      return torch::sin(x * 3 + t.view({-1, 1, 1, 1, 1})) * (0.5 + m) - 0.1 * x;
    };
    auto a = sampler.sample(model, {2, 4, 2, 4, 4}, dummy_cond(2), nullptr, 32, torch::kCPU);
    auto b = sampler.sample(model, {2, 4, 2, 4, 4}, dummy_cond(2), nullptr, 32, torch::kCPU);
    CHECK(torch::equal(a, b));
    for (auto n : batches) CHECK(n == 4);
    config::SampleConfig s2 = s;
    s2.seed = 43;
    CHECK_FALSE(torch::equal(a, Sampler(d, s2).sample(model, {2, 4, 2, 4, 4}, dummy_cond(2), nullptr, 32, torch::kCPU)));
  }
  // One Euler step with guidance: x1 = x0 + (t1 - t0) (u + w (c - u)).
  config::SampleConfig s;
  s.steps = 1;
  s.cfg_scale = 3.0;
  Sampler one(d, s);
  auto model = [](const torch::Tensor& x, const torch::Tensor&, const Conditioning& c) {
    auto m = c.text_mask.any(1).to(torch::kFloat32).view({-1, 1});
    return x * 0 + m * 2.0 + (1 - m) * 0.5;  // cond -> 2, uncond -> 0.5
  };
  auto gen = at::detail::createCPUGenerator(0);
  auto x0 = torch::randn({2, 3});
  auto x1 = one.sample_from(model, x0, dummy_cond(2), nullptr, 1, gen);
  CHECK(torch::allclose(x1, x0 - (0.5 + 3.0 * (2.0 - 0.5))));
  s.cfg_scale = 1.0;
  int calls = 0;
  auto counting = [&](const torch::Tensor& x, const torch::Tensor& t, const Conditioning& c) {
    ++calls;
    CHECK(x.size(0) == 2);
    return model(x, t, c);
  };
  Sampler(d, s).sample_from(counting, x0, dummy_cond(2), nullptr, 1, gen);
  CHECK(calls == 1);
}

TEST_CASE("diffusion: config validation names keys", "[unit][diffusion][config]") {
  auto err = [](const std::string& text) {
    try {
      config::parse_config(text);
    } catch (const vdf::Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  CHECK_THAT(err("diffusion:\n  objective: ddpm\n  prediction: velocity\n"), Catch::Contains("diffusion.prediction"));
  CHECK_THAT(err("diffusion:\n  objective: ddpm\n  prediction: eps\n  ddpm: {zero_terminal_snr: true}\n"),
             Catch::Contains("diffusion.ddpm.zero_terminal_snr"));
  CHECK_THAT(err("sample:\n  sampler: heun\n"), Catch::Contains("sample.sampler"));
  CHECK_THAT(err("sample:\n  steps: 0\n"), Catch::Contains("sample.steps"));
  CHECK(err("diffusion:\n  objective: ddpm\n  prediction: v\n  ddpm: {zero_terminal_snr: true}\n") == "<no error>");
}
