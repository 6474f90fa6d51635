#include "eval/util/pil_resize.h"

#include <cmath>
#include <vector>

#include "framework/core/error.h"

namespace vdf::eval {
namespace {

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // (xmin, xmax) per output
  std::vector<double> k;    // ksize per output
};

// precompute_coeffs() of Resample.c for the full box [0, in).
Coeffs precompute(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(2 * out);
  c.k.assign(static_cast<size_t>(out) * c.ksize, 0.0);
  for (int xx = 0; xx < out; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in) xmax = in;
    xmax -= xmin;
    double* k = &c.k[static_cast<size_t>(xx) * c.ksize];
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x)
      if (ww != 0.0) k[x] /= ww;
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

}  // namespace

torch::Tensor pil_bicubic_resize_float(const torch::Tensor& plane, int64_t out_h, int64_t out_w) {
  VDF_CHECK(plane.dim() == 2, "pil_bicubic_resize_float: expected [H,W], got {} dims", plane.dim());
  VDF_CHECK(out_h > 0 && out_w > 0, "pil_bicubic_resize_float: bad output size {}x{}", out_w, out_h);
  auto src = plane.to(torch::kCPU, torch::kFloat32).contiguous();
  const int h = static_cast<int>(src.size(0)), w = static_cast<int>(src.size(1));
  torch::Tensor cur = src;
  if (out_w != w) {  // horizontal pass
    auto c = precompute(w, static_cast<int>(out_w));
    auto dst = torch::empty({h, out_w}, torch::kFloat32);
    const float* in = cur.data_ptr<float>();
    float* o = dst.data_ptr<float>();
    for (int y = 0; y < h; ++y)
      for (int xx = 0; xx < out_w; ++xx) {
        const int xmin = c.bounds[2 * xx], xmax = c.bounds[2 * xx + 1];
        const double* k = &c.k[static_cast<size_t>(xx) * c.ksize];
        double ss = 0.0;
        for (int x = 0; x < xmax; ++x) ss += in[static_cast<size_t>(y) * w + x + xmin] * k[x];
        o[static_cast<size_t>(y) * out_w + xx] = static_cast<float>(ss);
      }
    cur = dst;
  }
  if (out_h != h) {  // vertical pass
    const int cw = static_cast<int>(cur.size(1));
    auto c = precompute(h, static_cast<int>(out_h));
    auto dst = torch::empty({out_h, cw}, torch::kFloat32);
    const float* in = cur.data_ptr<float>();
    float* o = dst.data_ptr<float>();
    for (int yy = 0; yy < out_h; ++yy) {
      const int ymin = c.bounds[2 * yy], ymax = c.bounds[2 * yy + 1];
      const double* k = &c.k[static_cast<size_t>(yy) * c.ksize];
      for (int xx = 0; xx < cw; ++xx) {
        double ss = 0.0;
        for (int y = 0; y < ymax; ++y) ss += in[static_cast<size_t>(y + ymin) * cw + xx] * k[y];
        o[static_cast<size_t>(yy) * cw + xx] = static_cast<float>(ss);
      }
    }
    cur = dst;
  }
  return cur.is_same(src) ? src.clone() : cur;
}

}  // namespace vdf::eval
