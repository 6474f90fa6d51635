// Noise schedules and the noising process x_t = a(t) x0 + s(t) eps, for both objectives:
//   flow (rectified flow):  a = 1 - t, s = t, t in [0, 1]; the model sees t.
//   ddpm (variance preserving, discrete): a = sqrt(alpha_bar[i]), s = sqrt(1 - alpha_bar[i]),
//        i in 0..N-1; the model sees i / N.
// Formulas and references: docs/diffusion.md.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "framework/config/schema/diffusion.h"

namespace vdf::diffusion {

// DDPM betas (float64 math). linear: linspace(start, end, N) (Ho et al. 2020); scaled_linear:
// linspace(sqrt(start), sqrt(end), N)^2 (Stable Diffusion); cosine: alpha_bar(t) = f(t)/f(0),
// f(t) = cos^2((t/N + s)/(1 + s) * pi/2), s = 0.008, betas clipped to 0.999 (Nichol & Dhariwal 2021).
std::vector<double> make_betas(config::BetaSchedule schedule, int64_t n, double beta_start, double beta_end);
std::vector<double> make_betas(const std::string& schedule, int64_t n, double beta_start, double beta_end);  // by name
std::vector<double> alphas_cumprod(const std::vector<double>& betas);
// Lin et al. 2023, Algorithm 1: shift/scale sqrt(alpha_bar) so that the last one is exactly 0 and the
// first is unchanged; returns the rescaled betas.
std::vector<double> rescale_zero_terminal_snr(const std::vector<double>& betas);

// SD3 time shift: t' = s t / (1 + (s - 1) t). s > 1 spends more time at high noise.
double time_shift(double t, double shift);
torch::Tensor time_shift(const torch::Tensor& t, double shift);
// Resolution-dependent shift (Flux): mu linear in the token count from (base_tokens, base_shift) to
// (max_tokens, max_shift); shift = exp(mu).
double shift_for_tokens(const config::DiffusionConfig& cfg, int64_t tokens);
// The shift training uses for a given token count (cfg.shift, or shift_for_tokens when auto_shift).
double training_shift(const config::DiffusionConfig& cfg, int64_t tokens);

// One point of the noising process.
struct Node {
  double model_t = 0;  // what the model is given as t
  double a = 1, s = 0; // x = a x0 + s eps
};

class NoiseProcess {
 public:
  explicit NoiseProcess(const config::DiffusionConfig& cfg);
  bool is_flow() const { return flow_; }
  int64_t num_train_timesteps() const { return n_; }
  const std::vector<double>& alphas_cumprod() const { return alpha_bar_; }  // empty for flow

  // A point on the continuous noise level u in [0, 1] (1 = pure noise, 0 = clean). For ddpm, u maps
  // to the discrete index i = round(u N) - 1 ("trailing" spacing); u = 0 is the clean end (a=1, s=0).
  Node node(double u) const;
  // The node the model sees as `model_t` (flow: t; ddpm: i / N).
  Node at_model_time(double model_t) const;
  // Per-sample coefficients [B] (float32, on t's device) for model times t [B].
  void coefficients(const torch::Tensor& model_t, torch::Tensor* a, torch::Tensor* s) const;

 private:
  bool flow_;
  int64_t n_;
  std::vector<double> alpha_bar_;
  torch::Tensor sqrt_ab_, sqrt_1mab_;  // [N] float32 CPU
};

}  // namespace vdf::diffusion
