// Parameterizations of the model output, for x = a x0 + s eps (see schedule.h):
//   velocity (flow, a = 1 - t, s = t):  v = eps - x0;        x0 = x - s v,            eps = x + a v
//   eps:                                 eps;                x0 = (x - s eps) / a
//   v (variance preserving):             v = a eps - s x0;   x0 = a x - s v,          eps = s x + a v
// a and s are scalars or tensors broadcastable against x (e.g. [B, 1, 1, 1, 1]).
#pragma once
#include <torch/torch.h>

#include <string>

#include "framework/config/schema/diffusion.h"

namespace vdf::diffusion {

using Prediction = config::Prediction;  // the choice of diffusion.prediction
Prediction parse_prediction(const std::string& name);  // throws vdf::Error naming the value

// The training target for x0, eps at coefficients (a, s).
torch::Tensor prediction_target(Prediction p, const torch::Tensor& x0, const torch::Tensor& eps,
                                const torch::Tensor& a, const torch::Tensor& s);
// Estimates of (x0, eps) from a model prediction at x with coefficients (a, s).
void prediction_to_x0_eps(Prediction p, const torch::Tensor& pred, const torch::Tensor& x, double a, double s,
                          torch::Tensor* x0, torch::Tensor* eps);

}  // namespace vdf::diffusion
