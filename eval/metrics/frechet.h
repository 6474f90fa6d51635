// Fréchet distance between two Gaussians fitted to feature sets (FID, FVD), in float64: statistics held as
// Eigen matrices, the matrix square-root trace computed with LAPACK through LibTorch (potrf, gemm, syevd).
//
//   d² = |mu1 − mu2|² + tr Σ1 + tr Σ2 − 2 tr sqrtm(Σ1 Σ2)
//
// tr sqrtm(Σ1Σ2) is computed as Σ sqrt(λ_i(Lᵀ Σ2 L)) with Σ1 = L Lᵀ (Cholesky; for a singular Σ1 the
// symmetric square root from an eigen-decomposition replaces L). Lᵀ Σ2 L is symmetric PSD and similar
// to Σ1Σ2, so its eigenvalues are those of Σ1Σ2; tiny negative round-off eigenvalues contribute 0, which
// equals the real part that pytorch-fid keeps from scipy.linalg.sqrtm. Matches scipy to ~1e-14 relative
// on full-rank covariances and ~1e-8 on singular ones (docs/metrics.md).
#pragma once
#include <torch/torch.h>

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "eval/config.h"

namespace vdf::eval {

// unbiased: np.cov (ddof = 1) — pytorch-fid, clean-fid, TTUR, TF-GAN, torchmetrics, TATS.
// biased:   Σxxᵀ/n − μμᵀ on float32-cast features, accumulated in float64 — StyleGAN2-ADA/3/V FeatureStats.
using CovConvention = config::CovConvention;  // eval.fid_covariance
std::string to_string(CovConvention c);
CovConvention parse_cov_convention(const std::string& name);  // "unbiased" | "biased"

struct Gaussian {
  Eigen::VectorXd mu;
  Eigen::MatrixXd sigma;
  int64_t n = 0;  // number of samples the statistics were fitted on
  CovConvention convention = CovConvention::unbiased;
  int64_t dims() const { return mu.size(); }
};

// features: [n, d] (any float dtype/device). Throws vdf::Error when n < 2.
Gaussian gaussian_from_features(const torch::Tensor& features, CovConvention convention);

struct FrechetOptions {
  double eps = 1e-6;                // pytorch-fid's diagonal offset for singular products
  bool eps_fallback = true;         // pytorch-fid/clean-fid: retry with Σ+eps·I when the result is not finite
  bool force_eps_fallback = false;  // take the eps branch unconditionally (parity with a forced reference)
};

struct FrechetResult {
  double distance = 0;            // the FID / FVD value
  double mean_term = 0;           // |mu1 − mu2|²
  double trace1 = 0, trace2 = 0;  // tr Σ1, tr Σ2
  double trace_sqrt_covmean = 0;  // tr Re sqrtm(Σ1Σ2)
  bool eps_fallback_taken = false;
  std::vector<std::string> warnings;  // e.g. "samples (100) <= feature dimension (256): singular covariance"
};

FrechetResult frechet_distance(const Eigen::VectorXd& mu1, const Eigen::MatrixXd& sigma1, const Eigen::VectorXd& mu2,
                               const Eigen::MatrixXd& sigma2, const FrechetOptions& options = {});
// Same, and warns (log + result.warnings) when either sample count is <= the feature dimension.
FrechetResult frechet_distance(const Gaussian& a, const Gaussian& b, const FrechetOptions& options = {});

// tr Re sqrtm(Σ1Σ2) for symmetric PSD Σ1, Σ2 (exposed for tests and the benchmark).
double trace_sqrt_product(const Eigen::MatrixXd& sigma1, const Eigen::MatrixXd& sigma2);

// Conversions (row-major [n, d] tensors <-> Eigen, float64).
Eigen::MatrixXd to_eigen_matrix(const torch::Tensor& t);
Eigen::VectorXd to_eigen_vector(const torch::Tensor& t);
torch::Tensor to_tensor(const Eigen::MatrixXd& m);
torch::Tensor to_tensor(const Eigen::VectorXd& v);

}  // namespace vdf::eval
