#include "framework/diffusion/schedule.h"

#include <algorithm>
#include <cmath>

#include "framework/core/error.h"

namespace vdf::diffusion {

std::vector<double> make_betas(const std::string& schedule, int64_t n, double beta_start, double beta_end) {
  return make_betas(config::parse_enum_or_fail<config::BetaSchedule>(schedule, "unknown noise schedule"), n,
                    beta_start, beta_end);
}

std::vector<double> make_betas(config::BetaSchedule schedule, int64_t n, double beta_start, double beta_end) {
  std::vector<double> b(n);
  if (schedule == config::BetaSchedule::linear || schedule == config::BetaSchedule::scaled_linear) {
    const bool scaled = schedule == config::BetaSchedule::scaled_linear;
    const double lo = scaled ? std::sqrt(beta_start) : beta_start, hi = scaled ? std::sqrt(beta_end) : beta_end;
    for (int64_t i = 0; i < n; ++i) {
      const double v = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
      b[i] = scaled ? v * v : v;
    }
  } else {  // cosine
    const double s = 0.008;
    auto f = [&](double t) {
      const double c = std::cos((t + s) / (1 + s) * M_PI / 2);
      return c * c;
    };
    for (int64_t i = 0; i < n; ++i) {
      const double t1 = static_cast<double>(i) / n, t2 = static_cast<double>(i + 1) / n;
      b[i] = std::min(1.0 - f(t2) / f(t1), 0.999);
    }
  }
  return b;
}

std::vector<double> alphas_cumprod(const std::vector<double>& betas) {
  std::vector<double> ab(betas.size());
  double p = 1.0;
  for (size_t i = 0; i < betas.size(); ++i) ab[i] = p *= (1.0 - betas[i]);
  return ab;
}

std::vector<double> rescale_zero_terminal_snr(const std::vector<double>& betas) {
  auto ab = alphas_cumprod(betas);
  std::vector<double> sq(ab.size());
  for (size_t i = 0; i < ab.size(); ++i) sq[i] = std::sqrt(ab[i]);
  const double first = sq.front(), last = sq.back();
  for (auto& v : sq) v = (v - last) * first / (first - last);
  std::vector<double> out(betas.size());
  double prev = 1.0;
  for (size_t i = 0; i < sq.size(); ++i) {
    const double a = sq[i] * sq[i];
    out[i] = 1.0 - a / prev;
    prev = a;
  }
  return out;
}

double time_shift(double t, double shift) { return shift * t / (1.0 + (shift - 1.0) * t); }

torch::Tensor time_shift(const torch::Tensor& t, double shift) {
  if (shift == 1.0) return t;
  return shift * t / (1.0 + (shift - 1.0) * t);
}

double shift_for_tokens(const config::DiffusionConfig& c, int64_t tokens) {
  const double slope = (c.max_shift - c.base_shift) / static_cast<double>(c.shift_max_tokens - c.shift_base_tokens);
  const double mu = c.base_shift + slope * static_cast<double>(tokens - c.shift_base_tokens);
  return std::exp(mu);
}

double training_shift(const config::DiffusionConfig& c, int64_t tokens) {
  return c.auto_shift ? shift_for_tokens(c, tokens) : c.shift;
}

NoiseProcess::NoiseProcess(const config::DiffusionConfig& cfg)
    : flow_(cfg.objective == config::Objective::flow), n_(cfg.ddpm.num_train_timesteps) {
  if (flow_) return;
  auto betas = make_betas(cfg.ddpm.schedule, n_, cfg.ddpm.beta_start, cfg.ddpm.beta_end);
  if (cfg.ddpm.zero_terminal_snr) betas = rescale_zero_terminal_snr(betas);
  alpha_bar_ = diffusion::alphas_cumprod(betas);
  auto ab = torch::tensor(alpha_bar_, torch::kFloat64);
  sqrt_ab_ = ab.sqrt().to(torch::kFloat32);
  sqrt_1mab_ = (1.0 - ab).clamp_min(0).sqrt().to(torch::kFloat32);
}

Node NoiseProcess::node(double u) const {
  if (flow_) return {u, 1.0 - u, u};
  if (u <= 0) return {0.0, 1.0, 0.0};
  const auto i = std::clamp<int64_t>(static_cast<int64_t>(std::llround(u * n_)) - 1, 0, n_ - 1);
  return at_model_time(static_cast<double>(i) / n_);
}

Node NoiseProcess::at_model_time(double model_t) const {
  if (flow_) return {model_t, 1.0 - model_t, model_t};
  const auto i = std::clamp<int64_t>(static_cast<int64_t>(std::llround(model_t * n_)), 0, n_ - 1);
  const double ab = alpha_bar_[i];
  return {static_cast<double>(i) / n_, std::sqrt(ab), std::sqrt(std::max(0.0, 1.0 - ab))};
}

void NoiseProcess::coefficients(const torch::Tensor& model_t, torch::Tensor* a, torch::Tensor* s) const {
  if (flow_) {
    auto t = model_t.to(torch::kFloat32);
    *a = 1.0 - t;
    *s = t;
    return;
  }
  auto idx = (model_t.to(torch::kFloat64) * n_).round().to(torch::kLong).clamp(0, n_ - 1);
  *a = sqrt_ab_.to(model_t.device()).index_select(0, idx);
  *s = sqrt_1mab_.to(model_t.device()).index_select(0, idx);
}

}  // namespace vdf::diffusion
