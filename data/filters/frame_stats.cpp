#include "data/filters/frame_stats.h"

#include <algorithm>
#include <bitset>
#include <cmath>

#include "framework/core/error.h"

namespace vdf::data {

namespace {
void check_frames(const torch::Tensor& f, const char* what) {
  VDF_CHECK(f.dim() == 4 && f.size(3) == 3 && f.scalar_type() == torch::kUInt8,
            "{}: expected uint8 [T, H, W, 3] frames, got {} with {} dims", what, f.toString(), f.dim());
}

torch::Tensor luma_float(const torch::Tensor& frames) {  // [T, H, W] in 0..1
  auto f = frames.to(torch::kFloat);
  auto y = f.select(3, 0) * 0.299f + f.select(3, 1) * 0.587f + f.select(3, 2) * 0.114f;
  return y / 255.0f;
}

torch::Tensor resize_area(const torch::Tensor& y, int64_t h, int64_t w) {  // [T, H, W] -> [T, h, w]
  return torch::adaptive_avg_pool2d(y.unsqueeze(1), {h, w}).squeeze(1);
}

torch::Tensor dct_matrix(int n) {  // orthonormal DCT-II, [n, n]
  auto k = torch::arange(n, torch::kDouble).unsqueeze(1);
  auto i = torch::arange(n, torch::kDouble).unsqueeze(0);
  auto c = torch::cos(M_PI / n * (i + 0.5) * k) * std::sqrt(2.0 / n);
  c[0] = c[0] / std::sqrt(2.0);
  return c.to(torch::kFloat);
}
}  // namespace

torch::Tensor small_luma(const torch::Tensor& frames, int max_side) {
  check_frames(frames, "small_luma");
  const int64_t h = frames.size(1), w = frames.size(2);
  const double s = std::min(1.0, static_cast<double>(max_side) / std::max(h, w));
  const int64_t th = std::max<int64_t>(1, std::lround(h * s)), tw = std::max<int64_t>(1, std::lround(w * s));
  auto y = luma_float(frames);
  return (th == h && tw == w) ? y : resize_area(y, th, tw);
}

std::vector<double> frame_differences(const torch::Tensor& frames) {
  check_frames(frames, "frame_differences");
  std::vector<double> out;
  if (frames.size(0) < 2) return out;
  auto y = small_luma(frames);
  auto d = (y.slice(0, 1) - y.slice(0, 0, -1)).abs().mean({1, 2}).to(torch::kDouble).contiguous();
  out.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  return out;
}

double motion_score(const torch::Tensor& frames) {
  auto d = frame_differences(frames);
  if (d.empty()) return 0.0;
  double s = 0;
  for (double v : d) s += v;
  return s / d.size();
}

std::vector<int64_t> scene_cuts(const torch::Tensor& frames, double threshold) {
  auto d = frame_differences(frames);
  std::vector<int64_t> cuts;
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] > threshold) cuts.push_back(static_cast<int64_t>(i) + 1);
  return cuts;
}

std::vector<FrameLook> classify_frames(const torch::Tensor& frames, double black_threshold, double blank_std) {
  check_frames(frames, "classify_frames");
  std::vector<FrameLook> out;
  if (frames.size(0) == 0) return out;
  auto y = small_luma(frames).flatten(1);
  auto mean = y.mean(1).to(torch::kDouble).contiguous();
  auto std = y.std(1, /*unbiased=*/false).to(torch::kDouble).contiguous();
  for (int64_t t = 0; t < frames.size(0); ++t)
    out.push_back(mean.data_ptr<double>()[t] < black_threshold ? FrameLook::black
                  : std.data_ptr<double>()[t] < blank_std      ? FrameLook::blank
                                                               : FrameLook::content);
  return out;
}

std::vector<bool> black_or_blank(const torch::Tensor& frames, double black_threshold, double blank_std) {
  std::vector<bool> out;
  for (auto look : classify_frames(frames, black_threshold, blank_std)) out.push_back(look != FrameLook::content);
  return out;
}

double black_fraction(const torch::Tensor& frames, double black_threshold, double blank_std) {
  auto b = black_or_blank(frames, black_threshold, blank_std);
  if (b.empty()) return 0.0;
  return static_cast<double>(std::count(b.begin(), b.end(), true)) / b.size();
}

uint64_t perceptual_hash(const torch::Tensor& frame) {
  VDF_CHECK(frame.dim() == 3 && frame.size(2) == 3 && frame.scalar_type() == torch::kUInt8,
            "perceptual_hash: expected a uint8 [H, W, 3] frame");
  static const torch::Tensor c = dct_matrix(32);
  auto y = resize_area(luma_float(frame.unsqueeze(0)), 32, 32)[0];
  auto d = torch::matmul(torch::matmul(c, y), c.t()).slice(0, 0, 8).slice(1, 0, 8).flatten().contiguous();
  const float* v = d.data_ptr<float>();
  std::vector<float> rest(v + 1, v + 64);
  std::nth_element(rest.begin(), rest.begin() + rest.size() / 2, rest.end());
  const float median = rest[rest.size() / 2];
  uint64_t h = 0;
  for (int i = 0; i < 64; ++i)
    if (v[i] > median) h |= (uint64_t{1} << i);
  return h;
}

int hamming_distance(uint64_t a, uint64_t b) { return static_cast<int>(std::bitset<64>(a ^ b).count()); }

std::vector<uint64_t> clip_signature(const torch::Tensor& frames) {
  check_frames(frames, "clip_signature");
  const int64_t t = frames.size(0);
  VDF_CHECK(t > 0, "clip_signature: empty clip");
  return {perceptual_hash(frames[0]), perceptual_hash(frames[t / 2]), perceptual_hash(frames[t - 1])};
}

std::optional<std::string> DuplicateIndex::find_locked(const std::vector<uint64_t>& sig) const {
  if (max_distance_ < 0) return std::nullopt;
  for (const auto& e : entries_) {
    if (e.signature.size() != sig.size()) continue;
    bool all = true;
    for (size_t i = 0; i < sig.size() && all; ++i) all = hamming_distance(e.signature[i], sig[i]) <= max_distance_;
    if (all) return e.key;
  }
  return std::nullopt;
}

std::optional<std::string> DuplicateIndex::find(const std::vector<uint64_t>& sig) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return find_locked(sig);
}

std::optional<std::string> DuplicateIndex::find_or_insert(const std::vector<uint64_t>& sig, const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto hit = find_locked(sig)) return hit;
  entries_.push_back({sig, key});
  return std::nullopt;
}

size_t DuplicateIndex::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace vdf::data
