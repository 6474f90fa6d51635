#include "framework/image/resize.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "framework/core/error.h"

namespace vdf::image {

namespace {

struct Filter {
  double (*fn)(double);
  double support;
};

double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }
double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}
double hamming_filter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  return std::sin(x) / x * (0.54 + 0.46 * std::cos(x));
}
double bicubic_filter(double x) {
  const double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
double sinc_filter(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}
double lanczos_filter(double x) { return (-3.0 <= x && x < 3.0) ? sinc_filter(x) * sinc_filter(x / 3) : 0.0; }

Filter filter_of(PilFilter f) {
  switch (f) {
    case PilFilter::box: return {box_filter, 0.5};
    case PilFilter::bilinear: return {bilinear_filter, 1.0};
    case PilFilter::hamming: return {hamming_filter, 1.0};
    case PilFilter::bicubic: return {bicubic_filter, 2.0};
    case PilFilter::lanczos: return {lanczos_filter, 3.0};
  }
  return {bicubic_filter, 2.0};
}

// Pillow's precompute_coeffs: per output pixel, the first input index and count, and ksize weights.
struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // xmin, xmax (count) per output
  std::vector<double> k;    // outSize * ksize
};

Coeffs precompute(int in_size, float in0, float in1, int out_size, const Filter& f) {
  Coeffs c;
  double scale = static_cast<double>(in1 - in0) / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = f.support * filterscale;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(out_size * 2);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0.0);
  for (int xx = 0; xx < out_size; ++xx) {
    double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double* k = &c.k[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      double w = f.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x)
      if (ww != 0.0) k[x] /= ww;
    c.bounds[xx * 2] = xmin;
    c.bounds[xx * 2 + 1] = xmax;
  }
  return c;
}

constexpr int kPrecisionBits = 32 - 8 - 2;

std::vector<int32_t> fixed_point(const Coeffs& c) {
  std::vector<int32_t> out(c.k.size());
  for (size_t i = 0; i < c.k.size(); ++i) {
    double v = c.k[i] * (1 << kPrecisionBits);
    out[i] = static_cast<int32_t>(c.k[i] < 0 ? -0.5 + v : 0.5 + v);
  }
  return out;
}

inline uint8_t clip8(int32_t v) {
  int32_t s = v >> kPrecisionBits;
  return static_cast<uint8_t>(s < 0 ? 0 : (s > 255 ? 255 : s));
}

void check_size(int64_t out_w, int64_t out_h) {
  VDF_CHECK(out_w > 0 && out_h > 0 && out_w < (1 << 20) && out_h < (1 << 20), "resize: invalid output size {}x{}",
            out_w, out_h);
}

}  // namespace

PilFilter parse_pil_filter(const std::string& name) {
  if (name == "box") return PilFilter::box;
  if (name == "bilinear") return PilFilter::bilinear;
  if (name == "hamming") return PilFilter::hamming;
  if (name == "bicubic") return PilFilter::bicubic;
  if (name == "lanczos") return PilFilter::lanczos;
  fail("unknown PIL filter '{}': expected box, bilinear, hamming, bicubic or lanczos", name);
}

torch::Tensor pil_resize_u8(const torch::Tensor& hwc_in, int64_t out_w, int64_t out_h, PilFilter filter) {
  VDF_CHECK(hwc_in.dim() == 3 && hwc_in.scalar_type() == torch::kUInt8,
            "pil_resize_u8: expected uint8 [H,W,C], got {} {}", fmt::join(hwc_in.sizes(), ","), c10::toString(hwc_in.scalar_type()));
  check_size(out_w, out_h);
  auto src = hwc_in.cpu().contiguous();
  const int H = static_cast<int>(src.size(0)), W = static_cast<int>(src.size(1)), C = static_cast<int>(src.size(2));
  VDF_CHECK(H > 0 && W > 0, "pil_resize_u8: empty input");
  const Filter f = filter_of(filter);
  const Coeffs ch = precompute(W, 0.0f, static_cast<float>(W), static_cast<int>(out_w), f);
  const Coeffs cv = precompute(H, 0.0f, static_cast<float>(H), static_cast<int>(out_h), f);
  const bool need_h = out_w != W, need_v = out_h != H;
  const uint8_t* in = src.data_ptr<uint8_t>();
  // horizontal pass over the rows the vertical pass needs
  int ybox_first = cv.bounds[0];
  int ybox_last = cv.bounds[(out_h - 1) * 2] + cv.bounds[(out_h - 1) * 2 + 1];
  std::vector<uint8_t> tmp;
  int tmp_h = H, tmp_w = W, row_offset = 0;
  const uint8_t* cur = in;
  if (need_h) {
    if (!need_v) ybox_first = 0, ybox_last = H;
    tmp_h = ybox_last - ybox_first;
    tmp_w = static_cast<int>(out_w);
    tmp.assign(static_cast<size_t>(tmp_h) * tmp_w * C, 0);
    auto kk = fixed_point(ch);
    for (int yy = 0; yy < tmp_h; ++yy) {
      const uint8_t* row = in + static_cast<size_t>(yy + ybox_first) * W * C;
      for (int xx = 0; xx < tmp_w; ++xx) {
        const int xmin = ch.bounds[xx * 2], xmax = ch.bounds[xx * 2 + 1];
        const int32_t* k = &kk[static_cast<size_t>(xx) * ch.ksize];
        for (int c = 0; c < C; ++c) {
          int32_t ss = 1 << (kPrecisionBits - 1);
          for (int x = 0; x < xmax; ++x) ss += row[(x + xmin) * C + c] * k[x];
          tmp[(static_cast<size_t>(yy) * tmp_w + xx) * C + c] = clip8(ss);
        }
      }
    }
    cur = tmp.data();
    row_offset = ybox_first;
  }
  auto out = torch::empty({out_h, out_w, C}, torch::kUInt8);
  uint8_t* o = out.data_ptr<uint8_t>();
  if (need_v) {
    auto kk = fixed_point(cv);
    const int off = need_h ? row_offset : 0;
    for (int yy = 0; yy < out_h; ++yy) {
      const int ymin = cv.bounds[yy * 2] - off, ymax = cv.bounds[yy * 2 + 1];
      const int32_t* k = &kk[static_cast<size_t>(yy) * cv.ksize];
      for (int xx = 0; xx < tmp_w; ++xx) {
        for (int c = 0; c < C; ++c) {
          int32_t ss = 1 << (kPrecisionBits - 1);
          for (int y = 0; y < ymax; ++y) ss += cur[(static_cast<size_t>(y + ymin) * tmp_w + xx) * C + c] * k[y];
          o[(static_cast<size_t>(yy) * out_w + xx) * C + c] = clip8(ss);
        }
      }
    }
  } else {
    std::memcpy(o, cur, static_cast<size_t>(out_h) * out_w * C);
  }
  return out;
}

torch::Tensor pil_resize_f32(const torch::Tensor& input, int64_t out_w, int64_t out_h, PilFilter filter) {
  VDF_CHECK(input.dim() == 2 || input.dim() == 3, "pil_resize_f32: expected [H,W] or [H,W,C], got {}", fmt::join(input.sizes(), ","));
  check_size(out_w, out_h);
  if (input.dim() == 3) {
    std::vector<torch::Tensor> chans;
    for (int64_t c = 0; c < input.size(2); ++c) chans.push_back(pil_resize_f32(input.select(2, c), out_w, out_h, filter));
    return torch::stack(chans, 2);
  }
  auto src = input.to(torch::kFloat32).cpu().contiguous();
  const int H = static_cast<int>(src.size(0)), W = static_cast<int>(src.size(1));
  VDF_CHECK(H > 0 && W > 0, "pil_resize_f32: empty input");
  const Filter f = filter_of(filter);
  const Coeffs ch = precompute(W, 0.0f, static_cast<float>(W), static_cast<int>(out_w), f);
  const Coeffs cv = precompute(H, 0.0f, static_cast<float>(H), static_cast<int>(out_h), f);
  const bool need_h = out_w != W, need_v = out_h != H;
  const float* in = src.data_ptr<float>();
  int ybox_first = cv.bounds[0];
  int ybox_last = cv.bounds[(out_h - 1) * 2] + cv.bounds[(out_h - 1) * 2 + 1];
  std::vector<float> tmp;
  int tmp_w = W, off = 0;
  const float* cur = in;
  if (need_h) {
    if (!need_v) ybox_first = 0, ybox_last = H;
    const int tmp_h = ybox_last - ybox_first;
    tmp_w = static_cast<int>(out_w);
    tmp.assign(static_cast<size_t>(tmp_h) * tmp_w, 0.0f);
    for (int yy = 0; yy < tmp_h; ++yy) {
      const float* row = in + static_cast<size_t>(yy + ybox_first) * W;
      for (int xx = 0; xx < tmp_w; ++xx) {
        const int xmin = ch.bounds[xx * 2], xmax = ch.bounds[xx * 2 + 1];
        const double* k = &ch.k[static_cast<size_t>(xx) * ch.ksize];
        double ss = 0.0;
        for (int x = 0; x < xmax; ++x) ss += row[x + xmin] * k[x];
        tmp[static_cast<size_t>(yy) * tmp_w + xx] = static_cast<float>(ss);
      }
    }
    cur = tmp.data();
    off = ybox_first;
  }
  auto out = torch::empty({out_h, out_w}, torch::kFloat32);
  float* o = out.data_ptr<float>();
  if (need_v) {
    for (int yy = 0; yy < out_h; ++yy) {
      const int ymin = cv.bounds[yy * 2] - off, ymax = cv.bounds[yy * 2 + 1];
      const double* k = &cv.k[static_cast<size_t>(yy) * cv.ksize];
      for (int xx = 0; xx < tmp_w; ++xx) {
        double ss = 0.0;
        for (int y = 0; y < ymax; ++y) ss += cur[static_cast<size_t>(y + ymin) * tmp_w + xx] * k[y];
        o[static_cast<size_t>(yy) * out_w + xx] = static_cast<float>(ss);
      }
    }
  } else {
    std::memcpy(o, cur, sizeof(float) * static_cast<size_t>(out_h) * out_w);
  }
  return out;
}

torch::Tensor torch_bilinear(const torch::Tensor& nchw, int64_t out_h, int64_t out_w) {
  VDF_CHECK(nchw.dim() == 4, "torch_bilinear: expected [N,C,H,W], got {}", fmt::join(nchw.sizes(), ","));
  namespace F = torch::nn::functional;
  return F::interpolate(nchw, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{out_h, out_w})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
}

std::pair<int64_t, int64_t> short_side_resize_shape(int64_t h, int64_t w, int64_t size) {
  VDF_CHECK(h > 0 && w > 0 && size > 0, "resize: invalid sizes {}x{} -> {}", h, w, size);
  const bool w_short = w <= h;
  const int64_t s = w_short ? w : h, l = w_short ? h : w;
  const int64_t new_long = static_cast<int64_t>(static_cast<double>(size) * static_cast<double>(l) / static_cast<double>(s));
  return w_short ? std::make_pair(new_long, size) : std::make_pair(size, new_long);
}

std::pair<int64_t, int64_t> center_crop_offsets(int64_t h, int64_t w, int64_t crop_h, int64_t crop_w) {
  const int64_t top = static_cast<int64_t>(std::nearbyint((h - crop_h) / 2.0));
  const int64_t left = static_cast<int64_t>(std::nearbyint((w - crop_w) / 2.0));
  return {top, left};
}

torch::Tensor center_crop_hwc(const torch::Tensor& hwc, int64_t crop_h, int64_t crop_w) {
  VDF_CHECK(hwc.dim() == 3 && hwc.size(0) >= crop_h && hwc.size(1) >= crop_w,
            "center_crop: cannot crop {}x{} from {}", crop_h, crop_w, fmt::join(hwc.sizes(), ","));
  auto [top, left] = center_crop_offsets(hwc.size(0), hwc.size(1), crop_h, crop_w);
  return hwc.slice(0, top, top + crop_h).slice(1, left, left + crop_w);
}

}  // namespace vdf::image
