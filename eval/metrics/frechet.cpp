#include "eval/metrics/frechet.h"

#include <cmath>

#include "framework/core/error.h"
#include "framework/core/log.h"

namespace vdf::eval {

std::string to_string(CovConvention c) { return c == CovConvention::unbiased ? "unbiased" : "biased"; }

CovConvention parse_cov_convention(const std::string& name) {
  if (name == "unbiased") return CovConvention::unbiased;
  if (name == "biased") return CovConvention::biased;
  fail("covariance convention '{}': expected 'unbiased' (np.cov, pytorch-fid) or 'biased' (StyleGAN)", name);
}

Eigen::MatrixXd to_eigen_matrix(const torch::Tensor& t) {
  VDF_CHECK(t.dim() == 2, "expected a 2-d tensor, got {} dimensions", t.dim());
  auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(c.data_ptr<double>(), c.size(0), c.size(1));
}

Eigen::VectorXd to_eigen_vector(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
  return Eigen::Map<const Eigen::VectorXd>(c.data_ptr<double>(), c.numel());
}

torch::Tensor to_tensor(const Eigen::MatrixXd& m) {
  // Eigen is column-major; the tensor is row-major.
  auto t = torch::empty({m.rows(), m.cols()}, torch::kFloat64);
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<RowMajor>(t.data_ptr<double>(), m.rows(), m.cols()) = m;
  return t;
}

torch::Tensor to_tensor(const Eigen::VectorXd& v) {
  auto t = torch::empty({v.size()}, torch::kFloat64);
  Eigen::Map<Eigen::VectorXd>(t.data_ptr<double>(), v.size()) = v;
  return t;
}

Gaussian gaussian_from_features(const torch::Tensor& features, CovConvention convention) {
  VDF_CHECK(features.dim() == 2, "features must be [n, d], got {} dimensions", features.dim());
  const int64_t n = features.size(0);
  VDF_CHECK(n >= 2, "need at least 2 samples to fit feature statistics, got {}", n);
  Gaussian g;
  g.n = n;
  g.convention = convention;
  torch::NoGradGuard ng;
  if (convention == CovConvention::unbiased) {
    // np.mean / np.cov(rowvar=False): centre, Xcᵀ Xc, times 1/(n-1).
    auto x = features.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    auto mu = x.mean(0);
    auto xc = x - mu;
    auto cov = xc.t().mm(xc) * (1.0 / static_cast<double>(n - 1));
    g.mu = to_eigen_vector(mu);
    g.sigma = to_eigen_matrix(cov);
  } else {
    // StyleGAN FeatureStats: x cast to float32, raw sums in float64, cov = XᵀX/n − μμᵀ.
    auto x = features.detach().to(torch::kCPU, torch::kFloat32).to(torch::kFloat64).contiguous();
    auto mean = x.sum(0) / static_cast<double>(n);
    auto cov = x.t().mm(x) / static_cast<double>(n) - torch::outer(mean, mean);
    g.mu = to_eigen_vector(mean);
    g.sigma = to_eigen_matrix(cov);
  }
  return g;
}

double trace_sqrt_product(const Eigen::MatrixXd& sigma1, const Eigen::MatrixXd& sigma2) {
  // LAPACK (through LibTorch: potrf, gemm, syevd; blocked and vectorized) rather than Eigen's unblocked
  // tridiagonalization: 2048-d is ~3x faster (docs/eval.md, benchmark). Symmetric inputs, so the
  // row-major/column-major question does not arise.
  torch::NoGradGuard ng;
  try {
    const auto s1 = to_tensor(sigma1), s2 = to_tensor(sigma2);
    auto [l, info] = torch::linalg_cholesky_ex(s1);
    bool use_llt = info.item<int64_t>() == 0;
    if (use_llt) {
      // A pivot near zero means Σ1 is numerically singular: the symmetric root is the safer factor.
      const auto diag = l.diagonal();
      use_llt = diag.min().item<double>() > 1e-7 * diag.max().item<double>();
    }
    torch::Tensor m;
    if (use_llt) {
      m = l.t().mm(s2).mm(l);  // Lᵀ Σ2 L
    } else {
      auto [w, v] = torch::linalg_eigh(s1);
      const auto root = (v * w.clamp_min(0).sqrt()).mm(v.t());  // V √Λ Vᵀ
      m = root.mm(s2).mm(root);
    }
    m = 0.5 * (m + m.t());
    return torch::linalg_eigvalsh(m).clamp_min(0).sqrt().sum().item<double>();
  } catch (const c10::Error& e) {  // non-finite input: no convergence; the caller decides (eps fallback)
    VDF_WARN("tr sqrtm(sigma1 sigma2): eigen-decomposition failed ({})", std::string(e.what_without_backtrace()));
    return std::numeric_limits<double>::quiet_NaN();
  }
}

FrechetResult frechet_distance(const Eigen::VectorXd& mu1, const Eigen::MatrixXd& sigma1, const Eigen::VectorXd& mu2,
                               const Eigen::MatrixXd& sigma2, const FrechetOptions& options) {
  const auto d = mu1.size();
  VDF_CHECK(mu2.size() == d && sigma1.rows() == d && sigma1.cols() == d && sigma2.rows() == d && sigma2.cols() == d,
            "Fréchet distance: mismatched shapes (mu1 {}, mu2 {}, sigma1 {}x{}, sigma2 {}x{})", mu1.size(), mu2.size(),
            sigma1.rows(), sigma1.cols(), sigma2.rows(), sigma2.cols());
  FrechetResult r;
  r.mean_term = (mu1 - mu2).squaredNorm();
  r.trace1 = sigma1.trace();
  r.trace2 = sigma2.trace();
  double tr = std::numeric_limits<double>::quiet_NaN();
  if (!options.force_eps_fallback) tr = trace_sqrt_product(sigma1, sigma2);
  if (!std::isfinite(tr) && (options.eps_fallback || options.force_eps_fallback)) {
    if (!options.force_eps_fallback)
      VDF_WARN("fid calculation produces singular product; adding {} to diagonal of cov estimates", options.eps);
    const Eigen::MatrixXd offset = Eigen::MatrixXd::Identity(d, d) * options.eps;
    tr = trace_sqrt_product(sigma1 + offset, sigma2 + offset);
    r.eps_fallback_taken = true;
  }
  VDF_CHECK(std::isfinite(tr), "Fréchet distance: tr sqrtm(sigma1 sigma2) is not finite (non-finite statistics?)");
  r.trace_sqrt_covmean = tr;
  r.distance = r.mean_term + r.trace1 + r.trace2 - 2.0 * tr;
  return r;
}

FrechetResult frechet_distance(const Gaussian& a, const Gaussian& b, const FrechetOptions& options) {
  auto r = frechet_distance(a.mu, a.sigma, b.mu, b.sigma, options);
  for (const auto* g : {&a, &b}) {
    if (g->n > 0 && g->n <= g->dims()) {
      r.warnings.push_back(fmt::format(
          "{} samples <= feature dimension {}: the covariance is singular and the distance is biased; use more "
          "samples than dimensions (pytorch-fid recommends >= 2048 for pool3, ideally 10,000+)",
          g->n, g->dims()));
      VDF_WARN("{}", r.warnings.back());
    }
  }
  return r;
}

}  // namespace vdf::eval
