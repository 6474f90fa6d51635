#include "framework/models/dit/pos_embed.h"

#include <cmath>

#include "framework/core/error.h"

namespace vdf::dit {

namespace {
// Positions (t, h, w) of every token, each [N] float64.
std::array<torch::Tensor, 3> grid_positions(const Grid& g) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto t = torch::arange(g[0], opts).view({-1, 1, 1}).expand({g[0], g[1], g[2]}).reshape({-1});
  auto h = torch::arange(g[1], opts).view({1, -1, 1}).expand({g[0], g[1], g[2]}).reshape({-1});
  auto w = torch::arange(g[2], opts).view({1, 1, -1}).expand({g[0], g[1], g[2]}).reshape({-1});
  return {t, h, w};
}
}  // namespace

torch::Tensor sincos_1d(int64_t d, const torch::Tensor& positions) {
  VDF_CHECK(d % 2 == 0, "sincos_1d: width {} is not even", d);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto omega = torch::arange(d / 2, opts) / static_cast<double>(d / 2);
  omega = torch::pow(10000.0, -omega);
  auto args = positions.to(torch::kFloat64).view({-1, 1}) * omega.view({1, -1});
  return torch::cat({torch::sin(args), torch::cos(args)}, 1);
}

torch::Tensor sincos_3d(int64_t dim, const Grid& grid) {
  VDF_CHECK(dim % 4 == 0, "sincos3d: width {} is not a multiple of 4", dim);
  auto pos = grid_positions(grid);
  auto spatial = torch::cat({sincos_1d(dim / 2, pos[1]), sincos_1d(dim / 2, pos[2])}, 1);
  return (spatial + sincos_1d(dim, pos[0])).to(torch::kFloat32);
}

Rope rope_3d(const std::vector<int64_t>& axes, const Grid& grid, double theta) {
  VDF_CHECK(axes.size() == 3, "rope3d: expected 3 axes, got {}", axes.size());
  auto pos = grid_positions(grid);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  std::vector<torch::Tensor> angles;
  for (int a = 0; a < 3; ++a) {
    const int64_t d = axes[a];
    VDF_CHECK(d % 2 == 0, "rope3d: axis width {} is not even", d);
    if (d == 0) continue;
    auto freqs = torch::pow(theta, -torch::arange(0, d, 2, opts) / static_cast<double>(d));  // [d/2]
    auto ang = pos[a].view({-1, 1}) * freqs.view({1, -1});                                    // [N, d/2]
    angles.push_back(ang.repeat_interleave(2, 1));                                           // [N, d]
  }
  auto all = torch::cat(angles, 1);
  return {torch::cos(all).to(torch::kFloat32), torch::sin(all).to(torch::kFloat32)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  auto xf = x.to(torch::kFloat32);
  auto pairs = xf.unflatten(-1, {xf.size(-1) / 2, 2});
  auto rotated = torch::stack({-pairs.select(-1, 1), pairs.select(-1, 0)}, -1).flatten(-2);
  return (xf * cos + rotated * sin).to(x.scalar_type());
}

}  // namespace vdf::dit
