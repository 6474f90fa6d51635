// Fréchet distance vs ../shared/golden/frechet (pytorch-fid calculate_frechet_distance, scipy 1.10.1
// sqrtm) and the StyleGAN biased-covariance variant; plus the golden weight recipe self-test.
#include <catch2/catch.hpp>

#include <chrono>

#include "eval/metrics/frechet.h"
#include "framework/tensor_io/recipe.h"
#include "framework/core/hash.h"
#include "tests/eval/eval_test_util.h"

using namespace vdf::eval;
using vdf::eval::testing::golden;

namespace {

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// X[i,k] per golden README §3.1.
torch::Tensor make_x1(const std::string& seed, int64_t n, int64_t d) {
  const auto ut = vdf::tensor_io::recipe_uniform(seed, n * d);
  const double* u = ut.data_ptr<double>();
  auto x = torch::empty({n, d}, torch::kFloat64);
  double* p = x.data_ptr<double>();
  for (int64_t j = 0; j < n * d; ++j) p[j] = static_cast<float>(u[j]);
  return x;
}
torch::Tensor make_x2(const std::string& seed, int64_t n, int64_t d) {
  const auto ut = vdf::tensor_io::recipe_uniform(seed, n * d);
  const double* u = ut.data_ptr<double>();
  auto x = torch::empty({n, d}, torch::kFloat64);
  double* p = x.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k)
      p[i * d + k] = static_cast<float>((1.25 * u[i * d + k] + 0.5 * u[i * d + ((k + 1) % d)]) +
                                        (0.1 + ((0.2 * static_cast<double>(k)) / static_cast<double>(d))));
  return x;
}

}  // namespace

TEST_CASE("recipe: splitmix64 / fnv1a64 / u streams match the golden vectors", "[unit][eval][recipe]") {
  EVAL_REQUIRE_SHARED("golden/recipe/recipe_vectors.safetensors");
  vdf::tensor_io::Metadata md;
  auto g = golden("recipe/recipe_vectors.safetensors", &md);
  CHECK(vdf::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(vdf::fnv1a64("frechet_a") == 0xc49b1eeb4825aae6ULL);
  for (const std::string key : {"fc.weight", "frechet_a", "Mixed_7c.branch_pool.bn.running_var"}) {
    auto u = vdf::tensor_io::recipe_uniform(key, 8);
    auto ref = g.at("u_first8/" + key);
    for (int j = 0; j < 8; ++j) CHECK(u[j].item<double>() == ref[j].item<double>());
  }
}

TEST_CASE("recipe: inception_fid weights match the golden checksums", "[unit][eval][recipe]") {
  EVAL_REQUIRE_SHARED("golden/recipe/inception_fid_checksums.safetensors");
  auto sums = golden("recipe/inception_fid_checksums.safetensors").at("checksums");
  auto keys = vdf::tensor_io::read_recipe_keys(vdf::testing::shared("golden/inception_fid/keys.txt"));
  REQUIRE(static_cast<int64_t>(keys.size()) == sums.size(0));
  for (size_t i = 0; i < keys.size(); i += 37) {  // a spread of keys (all roles)
    auto t = vdf::tensor_io::recipe_tensor(keys[i].key, keys[i].shape, keys[i].role).to(torch::kFloat64).reshape({-1});
    INFO(keys[i].key);
    CHECK(t.numel() == sums[i][0].item<double>());
    CHECK(t.sum().item<double>() == Approx(sums[i][1].item<double>()).epsilon(1e-9).margin(1e-9));
    CHECK(t[0].item<double>() == sums[i][3].item<double>());
    CHECK(t[-1].item<double>() == sums[i][4].item<double>());
  }
}

TEST_CASE("frechet: case a (pytorch-fid unit test) = 2048", "[parity][eval][frechet]") {
  EVAL_REQUIRE_SHARED("golden/frechet/case_a_unit_test.safetensors");
  auto g = golden("frechet/case_a_unit_test.safetensors");
  const auto eye = Eigen::MatrixXd::Identity(2048, 2048);
  auto r = frechet_distance(to_eigen_vector(g.at("mu1")), eye, to_eigen_vector(g.at("mu2")), eye);
  CHECK(rel(r.distance, g.at("fid").item<double>()) < 1e-12);
  CHECK_FALSE(r.eps_fallback_taken);
}

TEST_CASE("frechet: case b (600 vs 500 samples, d=64) both covariance conventions", "[parity][eval][frechet]") {
  EVAL_REQUIRE_SHARED("golden/frechet/case_b.safetensors");
  auto g = golden("frechet/case_b.safetensors");
  // X regenerated from the recipe equals the stored X.
  CHECK(torch::equal(make_x1("frechet_a", 600, 64), g.at("X1")));
  CHECK(torch::equal(make_x2("frechet_b", 500, 64), g.at("X2")));
  auto a = gaussian_from_features(g.at("X1"), CovConvention::unbiased);
  auto b = gaussian_from_features(g.at("X2"), CovConvention::unbiased);
  CHECK(vdf::eval::testing::rel_maxdiff(to_tensor(a.sigma), g.at("sigma1")) < 1e-13);
  CHECK(vdf::eval::testing::rel_maxdiff(to_tensor(b.mu), g.at("mu2")) < 1e-13);
  auto r = frechet_distance(a, b);
  const double fid_rel = rel(r.distance, g.at("fid").item<double>());
  CHECK(fid_rel < 1e-6);
  CHECK(rel(r.trace_sqrt_covmean, g.at("trace_sqrt_covmean").item<double>()) < 1e-9);
  auto ab = gaussian_from_features(g.at("X1"), CovConvention::biased);
  auto bb = gaussian_from_features(g.at("X2"), CovConvention::biased);
  FrechetOptions sg;
  sg.eps_fallback = false;
  const double sg_rel = rel(frechet_distance(ab, bb, sg).distance, g.at("fid_stylegan_biased").item<double>());
  CHECK(sg_rel < 1e-6);
  WARN("case b: fid rel err " << fid_rel << ", stylegan biased rel err " << sg_rel);
}

TEST_CASE("frechet: case c (3000 vs 3000 samples, d=2048) regenerated from the recipe", "[parity][eval][frechet]") {
  EVAL_REQUIRE_SHARED("golden/frechet/case_c.safetensors");
  auto g = golden("frechet/case_c.safetensors");
  auto x1 = make_x1("frechet_c_a", 3000, 2048), x2 = make_x2("frechet_c_b", 3000, 2048);
  CHECK(torch::equal(x1.slice(0, 0, 4), g.at("X1_rows0_3")));
  CHECK(torch::equal(x2.slice(0, 0, 4), g.at("X2_rows0_3")));
  auto a = gaussian_from_features(x1, CovConvention::unbiased);
  auto b = gaussian_from_features(x2, CovConvention::unbiased);
  CHECK(vdf::eval::testing::rel_maxdiff(to_tensor(a.mu), g.at("mu1")) < 1e-12);
  CHECK(vdf::eval::testing::rel_maxdiff(to_tensor(Eigen::VectorXd(b.sigma.diagonal())), g.at("sigma2_diag")) < 1e-12);
  CHECK(vdf::eval::testing::rel_maxdiff(to_tensor(Eigen::MatrixXd(a.sigma.topRows(4))), g.at("sigma1_rows0_3")) < 1e-12);
  auto t0 = std::chrono::steady_clock::now();
  auto r = frechet_distance(a, b);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double fid_rel = rel(r.distance, g.at("fid").item<double>());
  CHECK(fid_rel < 1e-6);
  CHECK(r.warnings.empty());
  auto ab = gaussian_from_features(x1, CovConvention::biased);
  auto bb = gaussian_from_features(x2, CovConvention::biased);
  FrechetOptions sg;
  sg.eps_fallback = false;
  const double sg_rel = rel(frechet_distance(ab, bb, sg).distance, g.at("fid_stylegan_biased").item<double>());
  CHECK(sg_rel < 1e-6);
  WARN("case c: fid rel err " << fid_rel << ", stylegan biased rel err " << sg_rel << ", 2048-d Fréchet " << secs
                               << " s");
}

TEST_CASE("frechet: case d (singular, 100 samples, d=256) natural and forced eps fallback", "[parity][eval][frechet]") {
  EVAL_REQUIRE_SHARED("golden/frechet/case_d.safetensors");
  auto g = golden("frechet/case_d.safetensors");
  auto a = gaussian_from_features(g.at("X1"), CovConvention::unbiased);
  auto b = gaussian_from_features(g.at("X2"), CovConvention::unbiased);
  auto r = frechet_distance(a, b);
  const double fid_rel = rel(r.distance, g.at("fid").item<double>());
  CHECK(fid_rel < 1e-6);
  CHECK_FALSE(r.eps_fallback_taken);
  REQUIRE(r.warnings.size() == 2);  // both sides have n <= d
  CHECK_THAT(r.warnings[0], Catch::Contains("100 samples <= feature dimension 256"));
  FrechetOptions forced;
  forced.force_eps_fallback = true;
  auto f = frechet_distance(a, b, forced);
  CHECK(f.eps_fallback_taken);
  const double eps_rel = rel(f.distance, g.at("fid_eps_fallback_forced").item<double>());
  CHECK(eps_rel < 1e-6);
  // The stored sigma gives the same result as our own fit.
  auto r2 = frechet_distance(to_eigen_vector(g.at("mu1")), to_eigen_matrix(g.at("sigma1")),
                             to_eigen_vector(g.at("mu2")), to_eigen_matrix(g.at("sigma2")));
  CHECK(rel(r2.distance, g.at("fid").item<double>()) < 1e-6);
  WARN("case d: fid rel err " << fid_rel << ", forced eps fallback rel err " << eps_rel);
}

TEST_CASE("frechet: bad inputs are errors", "[unit][eval][frechet]") {
  Eigen::VectorXd m(3);
  m.setZero();
  Eigen::MatrixXd s = Eigen::MatrixXd::Identity(4, 4);
  CHECK_THROWS_AS(frechet_distance(m, s, m, s), vdf::Error);
  CHECK_THROWS_AS(gaussian_from_features(torch::zeros({1, 3}), CovConvention::unbiased), vdf::Error);
  CHECK_THROWS_AS(parse_cov_convention("ddof2"), vdf::Error);
}
