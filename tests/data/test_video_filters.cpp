// Pure tensor video filters (no FFmpeg): motion score, black/blank frames, scene cuts, perceptual hash,
// duplicate index, the accept/reject report, and the video config section.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "data/accept_report.h"
#include "data/filters/frame_stats.h"
#include "app/config.h"

using namespace vdf;

namespace {
torch::Tensor pattern(int t, int h, int w, int shift_per_frame, int seed = 0) {
  auto x = torch::arange(w, torch::kFloat).view({1, 1, w});
  auto y = torch::arange(h, torch::kFloat).view({1, h, 1});
  auto k = torch::arange(t, torch::kFloat).view({t, 1, 1}) * shift_per_frame;
  auto v = 128 + 100 * torch::sin((x + k) / (5.0 + seed)) * torch::cos((y + seed * 3) / 7.0);
  return v.unsqueeze(3).expand({t, h, w, 3}).round().clamp(0, 255).to(torch::kUInt8).contiguous();
}
}  // namespace

TEST_CASE("filters: motion score separates static from moving frames", "[unit][data]") {
  const auto still = pattern(8, 48, 64, 0);
  const auto moving = pattern(8, 48, 64, 3);
  CHECK(data::motion_score(still) == 0.0);
  CHECK(data::motion_score(moving) > 0.05);
  CHECK(data::frame_differences(moving).size() == 7);
  CHECK(data::motion_score(still.slice(0, 0, 1)) == 0.0);
  // Reference: mean |diff| of BT.601 luma / 255 on the 64-wide frame itself (no downsampling needed).
  auto f = moving.to(torch::kFloat);
  auto y = (f.select(3, 0) * 0.299 + f.select(3, 1) * 0.587 + f.select(3, 2) * 0.114) / 255;
  const double ref = (y.slice(0, 1) - y.slice(0, 0, -1)).abs().mean().item<double>();
  CHECK(data::motion_score(moving) == Approx(ref).epsilon(1e-5));
}

TEST_CASE("filters: black and blank frames, scene cuts", "[unit][data]") {
  auto frames = pattern(10, 32, 32, 2);
  frames.slice(0, 0, 3).zero_();       // 3 black frames
  frames.slice(0, 3, 5).fill_(200);    // 2 flat (blank) light frames
  const auto flags = data::black_or_blank(frames, 0.06, 0.01);
  CHECK(std::count(flags.begin(), flags.end(), true) == 5);
  CHECK(data::black_fraction(frames, 0.06, 0.01) == Approx(0.5));
  CHECK(data::black_fraction(frames, 0.06, 0.0) == Approx(0.3));  // only the dark ones when blank is off
  auto a = pattern(5, 32, 32, 1, 0), b = pattern(5, 32, 32, 1, 4);
  b = (255 - b.to(torch::kInt)).to(torch::kUInt8);
  const auto both = torch::cat({a, b});
  const auto diffs = data::frame_differences(both);
  INFO("differences " << diffs[3] << " (within a scene), " << diffs[4] << " (across the cut)");
  CHECK(diffs[3] < 0.05);
  CHECK(diffs[4] > 0.15);
  const auto cuts = data::scene_cuts(both, 0.1);
  REQUIRE(cuts.size() == 1);
  CHECK(cuts[0] == 5);
}

TEST_CASE("filters: perceptual hash is stable under resize and noise, different across content", "[unit][data]") {
  const auto img = pattern(1, 96, 128, 0)[0];
  const auto small = torch::nn::functional::interpolate(
                         img.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat),
                         torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{48, 64}).mode(
                             torch::kBilinear).align_corners(false))[0]
                         .permute({1, 2, 0})
                         .round()
                         .to(torch::kUInt8);
  torch::manual_seed(0);
  const auto noisy = (img.to(torch::kFloat) + torch::randn(img.sizes()) * 6).clamp(0, 255).to(torch::kUInt8);
  const auto other = pattern(1, 96, 128, 0, 7)[0];
  const auto h = data::perceptual_hash(img);
  CHECK(data::hamming_distance(h, data::perceptual_hash(small)) <= 4);
  CHECK(data::hamming_distance(h, data::perceptual_hash(noisy)) <= 4);
  CHECK(data::hamming_distance(h, data::perceptual_hash(other)) > 12);
  CHECK(data::hamming_distance(0, ~uint64_t{0}) == 64);
}

TEST_CASE("filters: the duplicate index is shared safely across threads", "[unit][data]") {
  data::DuplicateIndex index(6);
  const auto clip = pattern(8, 32, 32, 2);
  const auto sig = data::clip_signature(clip);
  std::atomic<int> inserted{0}, dup{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      if (index.find_or_insert(sig, "clip" + std::to_string(i))) ++dup;
      else ++inserted;
    });
  for (auto& t : threads) t.join();
  CHECK(inserted == 1);
  CHECK(dup == 3);
  CHECK(index.size() == 1);
  CHECK_FALSE(index.find(data::clip_signature(pattern(8, 32, 32, 2, 9))));
  data::DuplicateIndex off(-1);
  CHECK_FALSE(off.find_or_insert(sig, "a"));
  CHECK_FALSE(off.find_or_insert(sig, "b"));
}

TEST_CASE("report: accepted + rejected = inputs, reasons counted, ordered by input", "[unit][data]") {
  data::AcceptReport report(nlohmann::json{{"decode_errors", "keep"}});
  data::InputRecord a;
  a.index = 1;
  a.path = "b.mp4";
  a.accepted = true;
  a.clips = 3;
  report.add(a);
  data::InputRecord r;
  r.index = 0;
  r.path = "a.mp4";
  r.reason = data::reject::too_short;
  report.add(r);
  data::InputRecord bad;
  bad.path = "c.mp4";
  CHECK_THROWS_WITH(report.add(bad), Catch::Contains("must have one"));
  const auto j = report.to_json();
  CHECK(j["inputs"] == 2);
  CHECK(j["accepted"] == 1);
  CHECK(j["rejected"] == 1);
  CHECK(j["clips"] == 3);
  CHECK(j["reasons"]["too_short"] == 1);
  CHECK(j["entries"][0]["path"] == "a.mp4");
  CHECK(j["policy"]["decode_errors"] == "keep");
}

TEST_CASE("config: the video section validates and picks aspect buckets", "[unit][data]") {
  auto c = config::parse_config("video:\n  fps: 12\n  buckets: [256x256, 384x216, 216x384]\n");
  CHECK(c.video.fps == 12);
  int w, h;
  c.video.target_size_for(1920, 1080, &w, &h);
  CHECK((w == 384 && h == 216));
  c.video.target_size_for(270, 480, &w, &h);
  CHECK((w == 216 && h == 384));
  c.video.target_size_for(500, 480, &w, &h);
  CHECK((w == 256 && h == 256));
  CHECK_THROWS_WITH(config::parse_config("video:\n  buckets: [256]\n"), Catch::Contains("video.buckets[0]"));
  CHECK_THROWS_WITH(config::parse_config("video:\n  filter: nearest\n"), Catch::Contains("video.filter"));
  CHECK_THROWS_WITH(config::parse_config("video:\n  on_decode_error: ignore\n"),
                    Catch::Contains("video.on_decode_error"));
  CHECK(c.video.effective_min_frames() == 16);
}
