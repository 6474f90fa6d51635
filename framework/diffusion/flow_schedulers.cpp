#include "framework/diffusion/flow_schedulers.h"

#include <cmath>

#include "framework/core/error.h"

namespace vdf::diffusion {

namespace {
double flow_sched_shift(double s, double shift) { return shift * s / (1.0 + (shift - 1.0) * s); }

// numpy.linspace(a, b, n) (float64).
std::vector<double> flow_sched_linspace(double a, double b, int64_t n) {
  std::vector<double> out(static_cast<size_t>(n));
  if (n == 1) return {a};
  const double step = (b - a) / static_cast<double>(n - 1);
  for (int64_t i = 0; i < n; ++i) out[i] = a + static_cast<double>(i) * step;
  out[n - 1] = b;
  return out;
}

// Solves A x = b (n <= 3) by Gaussian elimination with partial pivoting.
std::vector<double> flow_sched_solve(std::vector<std::vector<double>> A, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    std::swap(A[c], A[piv]);
    std::swap(b[c], b[piv]);
    for (size_t r = c + 1; r < n; ++r) {
      const double f = A[r][c] / A[c][c];
      for (size_t k = c; k < n; ++k) A[r][k] -= f * A[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= A[i][k] * x[k];
    x[i] = s / A[i][i];
  }
  return x;
}
}  // namespace

FlowSchedule flow_match_euler_schedule(int64_t steps, double shift, int64_t N) {
  VDF_CHECK(steps >= 1 && shift > 0 && N >= 2, "flow_euler schedule: steps {} shift {} N {}", steps, shift, N);
  // The scheduler's init: sigmas = shift(linspace(1, N, N)[::-1] / N) in float32; sigma_max/min are its ends.
  const double sigma_max = static_cast<float>(flow_sched_shift(static_cast<float>(N) / static_cast<float>(N), shift));
  const double sigma_min =
      static_cast<float>(flow_sched_shift(static_cast<double>(static_cast<float>(1.0f / static_cast<float>(N))), shift));
  FlowSchedule s;
  for (double t : flow_sched_linspace(sigma_max * N, sigma_min * N, steps)) {
    const float sigma = static_cast<float>(flow_sched_shift(t / static_cast<double>(N), shift));
    s.sigmas.push_back(sigma);
    s.timesteps.push_back(sigma * static_cast<float>(N));
  }
  s.sigmas.push_back(0.0f);
  return s;
}

FlowSchedule unipc_flow_schedule(int64_t steps, double shift, int64_t N) {
  VDF_CHECK(steps >= 1 && shift > 0 && N >= 2, "unipc schedule: steps {} shift {} N {}", steps, shift, N);
  auto base = flow_sched_linspace(1.0, 1.0 / static_cast<double>(N), steps + 1);
  base.pop_back();
  FlowSchedule s;
  for (size_t i = 0; i < base.size(); ++i) {
    double sigma = flow_sched_shift(base[i], shift);
    if (i == 0 && std::fabs(sigma - 1.0) < 1e-6) sigma -= 1e-6;
    // diffusers: timesteps = (sigmas * N) in float64, then .to(int64) (truncation).
    s.timesteps.push_back(static_cast<float>(static_cast<int64_t>(sigma * static_cast<double>(N))));
    s.sigmas.push_back(static_cast<float>(sigma));
  }
  s.sigmas.push_back(0.0f);
  return s;
}

UniPC::UniPC(std::vector<float> sigmas, int64_t order, bool lower_order_final)
    : sigmas_(std::move(sigmas)), order_(order), lower_order_final_(lower_order_final) {
  VDF_CHECK(order_ >= 1 && order_ <= 3, "UniPC: order {} (expected 1, 2 or 3)", order_);
  VDF_CHECK(sigmas_.size() >= 2, "UniPC: needs at least one step");
}

double UniPC::lambda(int64_t i) const {
  const double s = sigmas_[static_cast<size_t>(i)];
  return std::log(1.0 - s) - std::log(s);
}

torch::Tensor UniPC::update(const torch::Tensor& x, int64_t from, int64_t to, int64_t order, bool corrector,
                            const torch::Tensor& this_x0) const {
  const double sigma_t = sigmas_[static_cast<size_t>(to)], sigma_s0 = sigmas_[static_cast<size_t>(from)];
  const double alpha_t = 1.0 - sigma_t;
  const double lambda_s0 = lambda(from);
  const double h = lambda(to) - lambda_s0;
  const torch::Tensor& m0 = x0_.back();
  std::vector<double> rks;
  std::vector<torch::Tensor> D1s;
  for (int64_t k = 1; k < order; ++k) {
    const torch::Tensor& mk = x0_[x0_.size() - 1 - static_cast<size_t>(k)];
    const double rk = (lambda(from - k) - lambda_s0) / h;
    rks.push_back(rk);
    D1s.push_back((mk - m0) / rk);
  }
  rks.push_back(1.0);
  const double hh = -h;  // predict_x0
  const double h_phi_1 = std::expm1(hh);
  double h_phi_k = h_phi_1 / hh - 1.0;
  double factorial = 1.0;
  const double B_h = std::expm1(hh);  // bh2
  std::vector<std::vector<double>> R;
  std::vector<double> b;
  for (int64_t i = 1; i <= order; ++i) {
    std::vector<double> row;
    for (double r : rks) row.push_back(std::pow(r, static_cast<double>(i - 1)));
    R.push_back(row);
    b.push_back(h_phi_k * factorial / B_h);
    factorial *= static_cast<double>(i + 1);
    h_phi_k = h_phi_k / hh - 1.0 / factorial;
  }
  auto x_t = (sigma_t / sigma_s0) * x - (alpha_t * h_phi_1) * m0;
  if (!corrector) {
    if (!D1s.empty()) {
      std::vector<double> rhos;
      if (order == 2) {
        rhos = {0.5};
      } else {
        std::vector<std::vector<double>> Rs(R.begin(), R.end() - 1);
        for (auto& row : Rs) row.pop_back();
        rhos = flow_sched_solve(Rs, std::vector<double>(b.begin(), b.end() - 1));
      }
      torch::Tensor res = torch::zeros_like(x);
      for (size_t k = 0; k < D1s.size(); ++k) res = res + static_cast<float>(rhos[k]) * D1s[k];
      x_t = x_t - (alpha_t * B_h) * res;
    }
  } else {
    const std::vector<double> rhos = order == 1 ? std::vector<double>{0.5} : flow_sched_solve(R, b);
    torch::Tensor res = torch::zeros_like(x);
    for (size_t k = 0; k < D1s.size(); ++k) res = res + static_cast<float>(rhos[k]) * D1s[k];
    res = res + static_cast<float>(rhos.back()) * (this_x0 - m0);
    x_t = x_t - (alpha_t * B_h) * res;
  }
  return x_t.to(x.scalar_type());
}

torch::Tensor UniPC::step(const torch::Tensor& v, const torch::Tensor& x_in) {
  const int64_t steps = static_cast<int64_t>(sigmas_.size()) - 1;
  VDF_CHECK(index_ < steps, "UniPC: all {} steps are done", steps);
  torch::Tensor x = x_in;
  const torch::Tensor x0 = x - sigmas_[static_cast<size_t>(index_)] * v;  // flow_prediction
  if (index_ > 0 && last_sample_.defined()) x = update(last_sample_, index_ - 1, index_, this_order_, true, x0);
  x0_.push_back(x0);
  if (static_cast<int64_t>(x0_.size()) > order_) x0_.erase(x0_.begin());
  int64_t order = lower_order_final_ ? std::min(order_, steps - index_) : order_;
  this_order_ = std::min(order, lower_order_nums_ + 1);
  last_sample_ = x;
  auto out = update(x, index_, index_ + 1, this_order_, false, {});
  if (lower_order_nums_ < order_) lower_order_nums_ += 1;
  index_ += 1;
  return out;
}

}  // namespace vdf::diffusion
