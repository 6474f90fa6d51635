// Config section `diffusion`: the training objective and noise schedule (framework/diffusion). The keys
// one objective reads live in its sub-section (`diffusion.ddpm.*`, `diffusion.flow.*`).
// Formulas and references: docs/diffusion.md.
#pragma once
#include <cstdint>
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

enum class Objective { flow, ddpm };
VDF_CONFIG_ENUM(Objective, {Objective::flow, "flow"}, {Objective::ddpm, "ddpm"})
// What the network predicts (framework/diffusion/prediction.h: diffusion::Prediction is this enum).
enum class Prediction { velocity, eps, v };
VDF_CONFIG_ENUM(Prediction, {Prediction::velocity, "velocity"}, {Prediction::eps, "eps"}, {Prediction::v, "v"})
enum class BetaSchedule { linear, scaled_linear, cosine };
VDF_CONFIG_ENUM(BetaSchedule, {BetaSchedule::linear, "linear"}, {BetaSchedule::scaled_linear, "scaled_linear"},
                {BetaSchedule::cosine, "cosine"})
enum class TimestepSampling { logit_normal, uniform };
VDF_CONFIG_ENUM(TimestepSampling, {TimestepSampling::logit_normal, "logit_normal"},
                {TimestepSampling::uniform, "uniform"})

// Keys only the DDPM objective reads: its discrete noise schedule.
struct DdpmConfig {
  BetaSchedule schedule = BetaSchedule::linear;
  double beta_start = 0.0001;            // linear / scaled_linear: first beta (DDPM paper 1e-4)
  double beta_end = 0.02;                // last beta (DDPM paper 0.02; SD uses scaled_linear 0.00085..0.012)
  int64_t num_train_timesteps = 1000;
  bool zero_terminal_snr = false;        // rescale so alpha_bar(T) = 0 (Lin et al. 2023); needs v prediction

  template <class V>
  void visit(V& v) {
    v("schedule", schedule, "beta schedule");
    v("beta_start", beta_start, "first beta of the linear / scaled_linear schedule");
    v("beta_end", beta_end, "last beta of the linear / scaled_linear schedule");
    v("num_train_timesteps", num_train_timesteps, "discrete timesteps");
    v("zero_terminal_snr", zero_terminal_snr, "rescale betas so the last alpha_bar is 0 (needs prediction v)");
  }
  void validate(const Check& c) const {
    c.require(beta_start > 0 && beta_start < 1, "beta_start", beta_start, "in (0, 1)");
    c.require(beta_end > 0 && beta_end < 1 && beta_end >= beta_start, "beta_end", beta_end,
              "in (0, 1) and >= beta_start");
    c.require(num_train_timesteps >= 2, "num_train_timesteps", num_train_timesteps, ">= 2");
  }
};

// Keys only the flow objective reads: how training draws t.
struct FlowConfig {
  TimestepSampling timestep_sampling = TimestepSampling::logit_normal;
  double logit_normal_mean = 0.0;        // t = sigmoid(N(mean, std)) (SD3 uses 0, 1)
  double logit_normal_std = 1.0;

  template <class V>
  void visit(V& v) {
    v("timestep_sampling", timestep_sampling, "distribution of the training t");
    v("logit_normal_mean", logit_normal_mean, "mean of the logit-normal t distribution");
    v("logit_normal_std", logit_normal_std, "std of the logit-normal t distribution");
  }
  void validate(const Check& c) const {
    c.require(logit_normal_std > 0, "logit_normal_std", logit_normal_std, "> 0");
  }
};

struct DiffusionConfig {
  Objective objective = Objective::flow;          // flow (rectified flow) | ddpm
  Prediction prediction = Prediction::velocity;   // flow: velocity; ddpm: eps | v
  DdpmConfig ddpm;                                // objective ddpm only
  FlowConfig flow;                                // objective flow only
  // time shift of training (flow) and sampling (both objectives)
  double shift = 1.0;                    // time shift t' = s t / (1 + (s - 1) t); 1 = none
  bool auto_shift = false;               // shift = exp(mu(tokens)), mu linear in the token count (Flux)
  int64_t shift_base_tokens = 256;       // tokens at which mu = base_shift
  int64_t shift_max_tokens = 4096;       // tokens at which mu = max_shift
  double base_shift = 0.5;
  double max_shift = 1.15;
  // classifier-free guidance
  double cfg_dropout = 0.1;              // probability of replacing the text condition by the null one

  template <class V>
  void visit(V& v) {
    v("objective", objective, "flow: rectified flow, velocity target; ddpm: discrete-time DDPM");
    v("prediction", prediction, "network output; flow: velocity; ddpm: eps or v");
    v("ddpm", ddpm, "DDPM noise schedule", When{objective == Objective::ddpm, "diffusion.objective is ddpm", "objective"});
    v("flow", flow, "flow training timesteps", When{objective == Objective::flow, "diffusion.objective is flow", "objective"});
    v("shift", shift, "time shift s: t' = s t / (1 + (s-1) t); 1 = none");
    v("auto_shift", auto_shift, "derive the shift from the token count (overrides shift)");
    v("shift_base_tokens", shift_base_tokens, "auto_shift: token count with mu = base_shift");
    v("shift_max_tokens", shift_max_tokens, "auto_shift: token count with mu = max_shift");
    v("base_shift", base_shift, "auto_shift: mu at shift_base_tokens (shift = exp(mu))");
    v("max_shift", max_shift, "auto_shift: mu at shift_max_tokens");
    v("cfg_dropout", cfg_dropout, "probability of dropping the text condition (classifier-free guidance)");
  }

  void validate(const Check& c) const {
    switch (objective) {
      case Objective::flow:
        c.require(prediction == Prediction::velocity, "prediction", prediction, "velocity (objective flow)");
        flow.validate(c.sub("flow"));
        break;
      case Objective::ddpm:
        c.require(prediction == Prediction::eps || prediction == Prediction::v, "prediction", prediction,
                  "eps or v (objective ddpm)");
        ddpm.validate(c.sub("ddpm"));
        c.sub("ddpm").require(!ddpm.zero_terminal_snr || prediction == Prediction::v, "zero_terminal_snr",
                              ddpm.zero_terminal_snr, "false unless prediction is v (eps cannot be recovered at SNR 0)");
        break;
    }
    c.require(shift > 0, "shift", shift, "> 0");
    c.require(shift_base_tokens > 0 && shift_max_tokens > shift_base_tokens, "shift_max_tokens",
              shift_max_tokens, "> shift_base_tokens > 0");
    c.require(cfg_dropout >= 0 && cfg_dropout <= 1, "cfg_dropout", cfg_dropout, "in [0, 1]");
  }
};

}  // namespace vdf::config
