#include "eval/attributes/attribute_check.h"

#include <algorithm>
#include <cmath>

#include "framework/core/error.h"
#include "framework/core/format.h"

namespace vdf::eval {
namespace synth = data::synthetic;

MeasuredAttributes measure_attributes(const torch::Tensor& frames_u8) {
  VDF_CHECK(frames_u8.dim() == 4 && frames_u8.size(3) == 3 && frames_u8.scalar_type() == torch::kUInt8,
            "attribute check expects uint8 frames [T,H,W,3], got {}", shape_str(frames_u8.sizes()));
  auto f = frames_u8.to(torch::kFloat32).contiguous();  // [T,H,W,3]
  const int64_t T = f.size(0), H = f.size(1), W = f.size(2);

  // Background colour: median of the border pixels of all frames.
  auto border = torch::cat({f.select(1, 0).reshape({-1, 3}), f.select(1, H - 1).reshape({-1, 3}),
                            f.select(2, 0).reshape({-1, 3}), f.select(2, W - 1).reshape({-1, 3})});
  auto bg = std::get<0>(border.median(0));  // [3]

  auto dist = (f - bg).pow(2).sum(-1).sqrt();  // [T,H,W]
  // Threshold halfway to the typical foreground distance, but at least 40 (noise, compression).
  double peak = std::get<0>(dist.flatten().kthvalue(std::max<int64_t>(1, static_cast<int64_t>(dist.numel() * 0.995)))).item<double>();
  double thresh = std::max(40.0, 0.5 * peak);
  auto mask = dist > thresh;  // [T,H,W]

  MeasuredAttributes m;
  auto maskf = mask.to(torch::kFloat32);
  m.foreground_fraction = maskf.mean().item<double>();
  double fg_count = maskf.sum().item<double>();
  if (fg_count < 4) return m;  // nothing visible

  auto mean_rgb = (f * maskf.unsqueeze(-1)).sum({0, 1, 2}) / fg_count;
  for (int c = 0; c < 3; ++c) m.mean_rgb[c] = mean_rgb[c].item<double>();
  double best = 1e18;
  for (const auto& col : synth::colors()) {
    double d = 0;
    for (int c = 0; c < 3; ++c) d += std::pow(m.mean_rgb[c] - col.rgb[c], 2);
    if (d < best) best = d, m.attributes.color = col.name;
  }

  // Per-frame bounding-box fill ratio and centroid.
  auto ys = torch::arange(H, torch::kFloat32).view({H, 1});
  auto xs = torch::arange(W, torch::kFloat32).view({1, W});
  std::vector<double> fills, ts, cxs, cys;
  for (int64_t t = 0; t < T; ++t) {
    auto mt = maskf[t];
    double area = mt.sum().item<double>();
    if (area < 4) continue;
    auto rows = mt.sum(1).nonzero(), cols = mt.sum(0).nonzero();
    double h = rows.max().item<double>() - rows.min().item<double>() + 1;
    double w = cols.max().item<double>() - cols.min().item<double>() + 1;
    fills.push_back(area / (h * w));
    ts.push_back(static_cast<double>(t));
    cxs.push_back((mt * xs).sum().item<double>() / area);
    cys.push_back((mt * ys).sum().item<double>() / area);
  }
  if (fills.empty()) return m;
  std::vector<double> sorted = fills;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  m.fill_ratio = sorted[sorted.size() / 2];
  // Boundaries halfway between the ideal fills 1/2 (triangle), pi/4 (circle), 1 (square).
  m.attributes.shape = m.fill_ratio >= 0.89 ? "square" : m.fill_ratio >= 0.64 ? "circle" : "triangle";

  if (ts.size() >= 2) {
    double tm = 0, xm = 0, ym = 0;
    for (size_t i = 0; i < ts.size(); ++i) tm += ts[i], xm += cxs[i], ym += cys[i];
    tm /= ts.size(), xm /= ts.size(), ym /= ts.size();
    double stt = 0, stx = 0, sty = 0;
    for (size_t i = 0; i < ts.size(); ++i) {
      stt += (ts[i] - tm) * (ts[i] - tm);
      stx += (ts[i] - tm) * (cxs[i] - xm);
      sty += (ts[i] - tm) * (cys[i] - ym);
    }
    m.velocity_x = stx / stt;
    m.velocity_y = sty / stt;
    if (std::abs(m.velocity_x) >= std::abs(m.velocity_y))
      m.attributes.direction = m.velocity_x < 0 ? "left" : "right";
    else
      m.attributes.direction = m.velocity_y < 0 ? "up" : "down";
  }
  return m;
}

AttributeResult check_attributes(const torch::Tensor& frames, const std::string& prompt) {
  AttributeResult r;
  r.prompt = prompt;
  r.expected = synth::parse_caption(prompt);
  r.measured = measure_attributes(frames);
  r.color_ok = r.measured.attributes.color == r.expected.color;
  r.shape_ok = r.measured.attributes.shape == r.expected.shape;
  r.direction_ok = r.measured.attributes.direction == r.expected.direction;
  return r;
}

AttributeSummary summarize(const std::vector<AttributeResult>& results) {
  AttributeSummary s;
  s.count = static_cast<int>(results.size());
  if (results.empty()) return s;
  for (const auto& r : results) {
    s.color_accuracy += r.color_ok;
    s.shape_accuracy += r.shape_ok;
    s.direction_accuracy += r.direction_ok;
    s.joint_accuracy += r.joint_ok();
  }
  s.color_accuracy /= s.count;
  s.shape_accuracy /= s.count;
  s.direction_accuracy /= s.count;
  s.joint_accuracy /= s.count;
  return s;
}

}  // namespace vdf::eval
