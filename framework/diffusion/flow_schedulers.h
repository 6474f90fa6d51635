// The flow-matching schedulers Wan samples with, reproducing diffusers step for step (sample.sampler
// flow_euler / unipc; objective flow only; the model sees t = timestep / 1000):
//
//   flow_euler  FlowMatchEulerDiscreteScheduler(shift): timesteps = linspace(1000 sigma_max, 1000 sigma_min,
//               steps) with sigma_min = shift(1/1000), sigma = shift(timestep / 1000) (so the last sigma is
//               shifted twice, exactly as diffusers does), then 0; x += (sigma_next - sigma) v.
//   unipc       UniPCMultistepScheduler(prediction_type flow_prediction, use_flow_sigmas, flow_shift, bh2,
//               predict_x0, lower_order_final): sigma = shift(linspace(1, 1/1000, steps + 1)[:-1]) (the first
//               lowered by 1e-6 when it is 1), then 0; timesteps = int(1000 sigma) (truncated, as diffusers);
//               predictor UniP and corrector UniC of order sample.unipc_order (Wan: 2) on x0 = x - sigma v.
// Sigmas are float32 like diffusers'; the solver coefficients are computed in double.
// Formulas and the parity test: docs/diffusion.md, tests/wan/test_wan_schedulers.cpp.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace vdf::diffusion {

struct FlowSchedule {
  std::vector<float> sigmas;     // steps + 1 noise levels, the last 0
  std::vector<float> timesteps;  // steps model timesteps on the 0..num_train scale
};

FlowSchedule flow_match_euler_schedule(int64_t steps, double shift, int64_t num_train_timesteps = 1000);
FlowSchedule unipc_flow_schedule(int64_t steps, double shift, int64_t num_train_timesteps = 1000);

// The UniPC multistep solver state of one sampling run (diffusers' step(), bh2, predict_x0, flow sigmas).
class UniPC {
 public:
  UniPC(std::vector<float> sigmas, int64_t order, bool lower_order_final = true);
  // One step from noise level sigmas[i] (i = number of calls so far) with the model's velocity `v` at
  // `x`: returns x at sigmas[i + 1].
  torch::Tensor step(const torch::Tensor& v, const torch::Tensor& x);

 private:
  double lambda(int64_t i) const;  // log(alpha / sigma) of sigmas[i] (flow: alpha = 1 - sigma)
  torch::Tensor update(const torch::Tensor& x, int64_t from, int64_t to, int64_t order, bool corrector,
                       const torch::Tensor& this_x0) const;

  std::vector<float> sigmas_;
  int64_t order_;
  bool lower_order_final_;
  int64_t index_ = 0;
  int64_t lower_order_nums_ = 0;
  int64_t this_order_ = 0;
  std::vector<torch::Tensor> x0_;  // converted outputs, oldest first (at most order_)
  torch::Tensor last_sample_;
};

}  // namespace vdf::diffusion
