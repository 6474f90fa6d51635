#include "framework/diffusion/prediction.h"

#include "framework/core/error.h"

namespace vdf::diffusion {

Prediction parse_prediction(const std::string& name) {
  return config::parse_enum_or_fail<Prediction>(name, "unknown prediction");
}

torch::Tensor prediction_target(Prediction p, const torch::Tensor& x0, const torch::Tensor& eps,
                                const torch::Tensor& a, const torch::Tensor& s) {
  switch (p) {
    case Prediction::velocity: return eps - x0;
    case Prediction::eps: return eps;
    case Prediction::v: return a * eps - s * x0;
  }
  return {};
}

void prediction_to_x0_eps(Prediction p, const torch::Tensor& pred, const torch::Tensor& x, double a, double s,
                          torch::Tensor* x0, torch::Tensor* eps) {
  switch (p) {
    case Prediction::velocity:
      *x0 = x - s * pred;
      *eps = x + a * pred;
      return;
    case Prediction::eps:
      VDF_CHECK(a > 0, "eps prediction cannot recover x0 at zero signal (a = 0); use v prediction");
      *eps = pred;
      *x0 = (x - s * pred) / a;
      return;
    case Prediction::v:
      *x0 = a * x - s * pred;
      *eps = s * x + a * pred;
      return;
  }
}

}  // namespace vdf::diffusion
