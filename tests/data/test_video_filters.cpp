// Pure tensor video filters (no FFmpeg): motion score, black/blank frames, scene cuts, perceptual hash,
// duplicate index, the accept/reject report, and the video config section.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "data/accept_report.h"
#include "data/filters/clip_cutting.h"
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

TEST_CASE("filters: dark frames are black, flat light frames are blank", "[unit][data]") {
  auto frames = pattern(6, 32, 32, 2);
  frames.slice(0, 0, 2).zero_();       // black (dark and flat)
  frames.slice(0, 2, 3).fill_(5);      // black: dark, even if not exactly 0
  frames.slice(0, 3, 5).fill_(128);    // blank: uniform mid-grey
  const auto looks = data::classify_frames(frames, 0.06, 0.01);
  using L = data::FrameLook;
  CHECK((looks == std::vector<L>{L::black, L::black, L::black, L::blank, L::blank, L::content}));
}

TEST_CASE("clip cutting: fixed-length clips every stride frames, restarted at scene cuts", "[unit][data]") {
  config::VideoConfig cfg;
  cfg.clip_frames = 4;
  cfg.clip_stride = 4;
  cfg.scene_split = false;
  const auto moving = pattern(10, 32, 32, 3);
  {
    data::ClipCutter cut(cfg, 8.0, "32x32");
    std::vector<data::Clip> clips;
    for (int64_t t = 0; t < moving.size(0); ++t)
      if (auto c = cut.push(moving[t], t)) clips.push_back(std::move(*c));
    REQUIRE(clips.size() == 2);  // frames 0-3 and 4-7; 8-9 do not complete a clip
    CHECK(cut.candidates() == 2);
    CHECK(clips[1].first_frame == 4);
    CHECK(clips[1].start_s == Approx(0.5));
    CHECK(clips[1].end_s == Approx(1.0));
    CHECK(clips[1].bucket == "32x32");
    CHECK(torch::equal(clips[1].frames, moving.slice(0, 4, 8)));
  }
  {  // overlapping clips: stride 2
    cfg.clip_stride = 2;
    data::ClipCutter cut(cfg, 8.0, "32x32");
    std::vector<int64_t> starts;
    for (int64_t t = 0; t < moving.size(0); ++t)
      if (auto c = cut.push(moving[t], t)) {
        CHECK(torch::equal(c->frames, moving.slice(0, c->first_frame, c->first_frame + 4)));
        starts.push_back(c->first_frame);
      }
    CHECK((starts == std::vector<int64_t>{0, 2, 4, 6}));
  }
  {  // a scene cut after frame 5: no clip crosses it; the second scene starts its own clips at frame 6
    cfg.clip_stride = 4;
    cfg.scene_split = true;
    cfg.scene_threshold = 0.1;
    auto b = (255 - pattern(6, 32, 32, 1, 4).to(torch::kInt)).to(torch::kUInt8);
    const auto both = torch::cat({pattern(6, 32, 32, 1, 0), b});
    data::ClipCutter cut(cfg, 8.0, "32x32");
    std::vector<int64_t> starts;
    for (int64_t t = 0; t < both.size(0); ++t)
      if (auto c = cut.push(both[t], t)) starts.push_back(c->first_frame);
    CHECK((starts == std::vector<int64_t>{0, 6}));
    CHECK(cut.scenes() == 2);
  }
}

TEST_CASE("clip filters: mostly_black for dark clips, mostly_blank for flat ones, then too_static",
          "[unit][data]") {
  config::VideoConfig cfg;
  auto reason = [](const char* r) { return r ? std::string(r) : std::string("<passes>"); };
  auto clip_of = [](torch::Tensor frames) {
    data::Clip c;
    c.frames = std::move(frames);
    return c;
  };
  auto dark = clip_of(torch::zeros({8, 32, 32, 3}, torch::kUInt8));
  CHECK(reason(data::clip_filter(dark, cfg)) == "mostly_black");
  CHECK(dark.black_fraction == 1.0);
  CHECK(dark.blank_fraction == 0.0);
  auto grey = clip_of(torch::full({8, 32, 32, 3}, 128, torch::kUInt8));  // uniform mid-grey
  CHECK(reason(data::clip_filter(grey, cfg)) == "mostly_blank");
  CHECK(grey.black_fraction == 1.0);
  CHECK(grey.blank_fraction == 1.0);
  auto frames = pattern(8, 32, 32, 3);  // 3 dark + 3 grey + 2 moving: more than half flat or dark, a tie
  frames.slice(0, 0, 3).zero_();
  frames.slice(0, 3, 6).fill_(128);
  auto mixed = clip_of(frames);
  CHECK(reason(data::clip_filter(mixed, cfg)) == "mostly_black");
  auto moving = clip_of(pattern(8, 32, 32, 3));
  CHECK(reason(data::clip_filter(moving, cfg)) == "<passes>");
  CHECK(moving.motion > 0.05);
  auto still = clip_of(pattern(8, 32, 32, 0));
  CHECK(reason(data::clip_filter(still, cfg)) == "too_static");
  cfg.static_threshold = 0;  // off
  CHECK(reason(data::clip_filter(still, cfg)) == "<passes>");
}

TEST_CASE("clip extraction: decode-error policy, duplicates and the reason for all rejected", "[unit][data]") {
  config::VideoConfig cfg;  // keep, 0.5
  CHECK_FALSE(data::decode_error_verdict(0, 10, cfg));
  CHECK_FALSE(data::decode_error_verdict(5, 10, cfg));
  auto v = data::decode_error_verdict(6, 10, cfg);
  REQUIRE(v);
  CHECK(std::string(v->first) == "decode_errors");
  CHECK(v->second == "6 decode errors in 10 packets (60% > 50%)");
  cfg.on_decode_error = config::DecodeErrorPolicy::reject;
  v = data::decode_error_verdict(1, 10, cfg);
  REQUIRE(v);
  CHECK_THAT(v->second, Catch::Contains("reject on any error"));

  data::DuplicateIndex index(6);
  std::vector<data::Clip> clips(3);
  std::vector<std::vector<uint64_t>> sigs;
  for (int i = 0; i < 3; ++i) {
    clips[i].frames = pattern(4, 32, 32, 2, i == 2 ? 0 : 5 * i);  // clip 2 repeats clip 0
    clips[i].first_frame = 4 * i;
    clips[i].index = i;
    sigs.push_back(data::clip_signature(clips[i].frames));
  }
  std::map<std::string, int> rejections;
  std::string detail;
  data::drop_duplicate_clips(&clips, sigs, "a.mp4", &index, &rejections, &detail);
  REQUIRE(clips.size() == 2);
  CHECK(clips[1].first_frame == 4);
  CHECK(clips[1].index == 1);
  CHECK(rejections["duplicate"] == 1);
  CHECK(detail == "near-duplicate of a.mp4#0");
  CHECK(index.size() == 2);

  const auto [reason, text] = data::all_clips_rejected({{"mostly_blank", 2}, {"too_static", 1}}, 3, "");
  CHECK(std::string(reason) == "mostly_blank");
  CHECK(text == "all 3 clips rejected (2 mostly_blank, 1 too_static)");
  const auto [tie, tie_text] = data::all_clips_rejected({{"duplicate", 1}, {"too_static", 1}}, 2, "near-duplicate of x");
  CHECK(std::string(tie) == "duplicate");
  CHECK(tie_text == "all 2 clips rejected (1 duplicate, 1 too_static); near-duplicate of x");
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
