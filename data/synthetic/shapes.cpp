#include "data/synthetic/shapes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "framework/core/error.h"

namespace vdf::data::synthetic {

const std::vector<NamedColor>& colors() {
  static const std::vector<NamedColor> c = {
      {"red", {230, 40, 40}},    {"green", {40, 200, 60}},  {"blue", {50, 90, 240}},
      {"yellow", {240, 220, 40}}, {"magenta", {220, 60, 220}}, {"cyan", {50, 220, 230}},
  };
  return c;
}
const std::vector<std::string>& shapes() {
  static const std::vector<std::string> s = {"square", "circle", "triangle"};
  return s;
}
const std::vector<std::string>& directions() {
  static const std::vector<std::string> d = {"left", "right", "up", "down"};
  return d;
}
std::array<uint8_t, 3> background_rgb() { return {48, 48, 48}; }

std::string caption_of(const Attributes& a) {
  return "a " + a.color + " " + a.shape + " moving " + a.direction;
}

Attributes parse_caption(const std::string& caption) {
  std::istringstream in(caption);
  std::string word;
  Attributes a;
  while (in >> word) {
    std::transform(word.begin(), word.end(), word.begin(), ::tolower);
    for (const auto& c : colors())
      if (word == c.name) a.color = word;
    for (const auto& s : shapes())
      if (word == s) a.shape = word;
    for (const auto& d : directions())
      if (word == d) a.direction = word;
  }
  if (a.color.empty() || a.shape.empty() || a.direction.empty())
    fail("caption '{}' does not name a colour, a shape and a direction of the synthetic dataset", caption);
  return a;
}

namespace {
// Signed coverage of pixel (x,y) by the shape centred at (cx,cy) with half-extent r, 4x4 supersampled
// so edges are antialiased like real footage.
double coverage(const std::string& shape, double x, double y, double cx, double cy, double r) {
  int inside = 0;
  for (int sy = 0; sy < 4; ++sy)
    for (int sx = 0; sx < 4; ++sx) {
      double px = x + (sx + 0.5) / 4.0 - cx, py = y + (sy + 0.5) / 4.0 - cy;
      bool in = false;
      if (shape == "square") {
        in = std::abs(px) <= r && std::abs(py) <= r;
      } else if (shape == "circle") {
        in = px * px + py * py <= r * r;
      } else {  // triangle pointing up, base at +r, apex at -r: fills half its bounding box
        double t = (py + r) / (2 * r);  // 0 at apex, 1 at base
        in = t >= 0 && t <= 1 && std::abs(px) <= t * r;
      }
      inside += in;
    }
  return inside / 16.0;
}
}  // namespace

torch::Tensor render_clip(const Attributes& a, const RenderOptions& opt, double jitter_x, double jitter_y,
                          uint64_t noise_seed) {
  VDF_CHECK(opt.width >= 8 && opt.height >= 8 && opt.frames >= 2, "synthetic clip size {}x{}x{} is too small",
            opt.width, opt.height, opt.frames);
  const NamedColor* color = nullptr;
  for (const auto& c : colors())
    if (a.color == c.name) color = &c;
  VDF_CHECK(color, "unknown colour '{}'", a.color);
  VDF_CHECK(std::find(shapes().begin(), shapes().end(), a.shape) != shapes().end(), "unknown shape '{}'", a.shape);
  double dx = 0, dy = 0;
  if (a.direction == "left") dx = -1;
  else if (a.direction == "right") dx = 1;
  else if (a.direction == "up") dy = -1;
  else if (a.direction == "down") dy = 1;
  else fail("unknown direction '{}'", a.direction);

  const double W = opt.width, H = opt.height, side = std::min(W, H);
  const double r = 0.5 * opt.size_frac * side;
  const double travel = opt.travel_frac * side;
  // Start so that the motion is centred in the frame, plus a small jitter across the motion axis
  // and along it.
  const double cx0 = W / 2 - dx * travel / 2 + jitter_x * 0.08 * side;
  const double cy0 = H / 2 - dy * travel / 2 + jitter_y * 0.08 * side;

  auto bg = background_rgb();
  auto out = torch::empty({opt.frames, opt.height, opt.width, 3}, torch::kUInt8);
  auto* p = out.data_ptr<uint8_t>();
  std::mt19937_64 rng(noise_seed);
  std::normal_distribution<double> noise(0.0, opt.noise);
  for (int t = 0; t < opt.frames; ++t) {
    double f = static_cast<double>(t) / (opt.frames - 1);
    double cx = cx0 + dx * travel * f, cy = cy0 + dy * travel * f;
    for (int y = 0; y < opt.height; ++y)
      for (int x = 0; x < opt.width; ++x) {
        double cov = coverage(a.shape, x, y, cx, cy, r);
        double n = opt.noise > 0 ? noise(rng) : 0.0;
        for (int ch = 0; ch < 3; ++ch) {
          double v = (1 - cov) * (bg[ch] + n) + cov * color->rgb[ch];
          *p++ = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
        }
      }
  }
  return out;
}

std::vector<Attributes> all_combinations(int num_colors) {
  VDF_CHECK(num_colors >= 1 && num_colors <= static_cast<int>(colors().size()),
            "synthetic dataset: num_colors = {} must be in [1, {}]", num_colors, colors().size());
  std::vector<Attributes> out;
  for (int c = 0; c < num_colors; ++c)
    for (const auto& s : shapes())
      for (const auto& d : directions()) out.push_back({colors()[c].name, s, d});
  return out;
}

void split_combinations(const std::vector<Attributes>& all, int held_out, uint64_t seed,
                        std::vector<Attributes>* train, std::vector<Attributes>* test) {
  VDF_CHECK(held_out >= 0 && held_out < static_cast<int>(all.size()),
            "synthetic dataset: held_out = {} must be in [0, {})", held_out, all.size());
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<bool> is_test(all.size(), false);
  // Greedy: take a combination out only if each of its attribute values keeps >= 2 training uses,
  // so every word of a held-out caption has been seen in training.
  std::map<std::string, int> uses;
  for (const auto& a : all) ++uses["c:" + a.color], ++uses["s:" + a.shape], ++uses["d:" + a.direction];
  int taken = 0;
  for (size_t i : order) {
    if (taken == held_out) break;
    const auto& a = all[i];
    if (uses["c:" + a.color] <= 2 || uses["s:" + a.shape] <= 2 || uses["d:" + a.direction] <= 2) continue;
    --uses["c:" + a.color], --uses["s:" + a.shape], --uses["d:" + a.direction];
    is_test[i] = true;
    ++taken;
  }
  VDF_CHECK(taken == held_out, "synthetic dataset: cannot hold out {} combinations and keep every word in training",
            held_out);
  train->clear();
  test->clear();
  for (size_t i = 0; i < all.size(); ++i) (is_test[i] ? test : train)->push_back(all[i]);
}

}  // namespace vdf::data::synthetic
