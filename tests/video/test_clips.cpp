// Clip extraction and every rejection path, with small videos made by the ffmpeg CLI in the test.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "data/accept_report.h"
#include "data/video/clips.h"
#include "framework/video/probe.h"
#include "tests/video/fixtures.h"

using namespace vdf;
using namespace vdf::testing;
using namespace vdf::testing::video;

namespace {
config::VideoConfig small_config() {
  config::VideoConfig c;
  c.fps = 8;
  c.width = 64;
  c.height = 48;
  c.clip_frames = 8;
  c.clip_stride = 8;
  c.max_clips_per_video = 0;
  c.min_width = 64;
  c.min_height = 48;
  return c;
}
bool need_ffmpeg() {
  return require_or_skip(has_ffmpeg(), "the ffmpeg CLI (makes the fixtures) is not installed");
}
}  // namespace

TEST_CASE("clips: a moving video is cut into fixed-length clips at the target fps and size", "[unit][video]") {
  if (!need_ffmpeg()) return;
  auto cfg = small_config();
  const auto ex = data::extract_clips(moving_video(), cfg);
  REQUIRE(ex.accepted);
  CHECK(ex.frames == 40);          // 5 s at 8 fps
  REQUIRE(ex.clips.size() == 5);   // 40 frames / 8
  for (size_t i = 0; i < ex.clips.size(); ++i) {
    const auto& c = ex.clips[i];
    CHECK(c.frames.sizes() == torch::IntArrayRef({8, 48, 64, 3}));
    CHECK(c.index == static_cast<int>(i));
    CHECK(c.start_s == Approx(i * 1.0));
    CHECK(c.end_s == Approx((i + 1) * 1.0));
    CHECK(c.bucket == "64x48");
    CHECK(c.motion > cfg.static_threshold);
  }
  // Overlapping clips (stride 4) and a cap on the clip count.
  cfg.clip_stride = 4;
  cfg.max_clips_per_video = 3;
  const auto capped = data::extract_clips(moving_video(), cfg);
  REQUIRE(capped.clips.size() == 3);
  CHECK(capped.clips[1].first_frame == 4);
  CHECK(torch::equal(capped.clips[0].frames.slice(0, 4), capped.clips[1].frames.slice(0, 0, 4)));
  CHECK(capped.frames == 16);  // decoding stops once enough clips are cut
  // Buckets: the nearest aspect ratio wins (4:3 source -> 64x48, not 96x32 or 48x64).
  cfg.buckets = {"96x32", "64x48", "48x64"};
  cfg.max_clips_per_video = 1;
  const auto b = data::extract_clips(moving_video(), cfg);
  REQUIRE(b.clips.size() == 1);
  CHECK(b.clips[0].bucket == "64x48");
}

TEST_CASE("clips: scene split never lets a clip cross a cut", "[unit][video]") {
  if (!need_ffmpeg()) return;
  // 2 s of a test pattern, then 2 s of a different one: one hard cut at 2 s.
  const auto path = make_fixture(
      "cut.mp4",
      "-f lavfi -i testsrc2=size=160x120:rate=10:d=2 -t 2 -f lavfi -i mandelbrot=size=160x120:rate=10 "
      "-filter_complex '[0:v][1:v]concat=n=2:v=1[v]' -map '[v]' -pix_fmt yuv420p -c:v libx264 -preset ultrafast");
  auto cfg = small_config();
  cfg.clip_frames = 6;
  cfg.clip_stride = 6;
  cfg.scene_split = true;
  cfg.scene_threshold = 0.12;
  const auto ex = data::extract_clips(path, cfg);
  REQUIRE(ex.accepted);
  // 16 frames per scene at 8 fps: clips at 0, 6 in scene one and 16, 22 in scene two (none across 16).
  REQUIRE(ex.clips.size() == 4);
  CHECK(ex.clips[0].first_frame == 0);
  CHECK(ex.clips[1].first_frame == 6);
  CHECK(ex.clips[2].first_frame == 16);
  CHECK(ex.clips[3].first_frame == 22);
  cfg.scene_split = false;
  const auto plain = data::extract_clips(path, cfg);
  REQUIRE(plain.clips.size() == 5);
  CHECK(plain.clips[2].first_frame == 12);  // crosses the cut
}

TEST_CASE("clips: every rejection path has its named reason", "[unit][video]") {
  if (!need_ffmpeg()) return;
  const auto cfg = small_config();
  auto reason_of = [&](const std::string& path, const config::VideoConfig& c = small_config(),
                       data::DuplicateIndex* d = nullptr) {
    const auto ex = data::extract_clips(path, c, d);
    INFO(path << ": " << ex.detail);
    CHECK(ex.clips.empty() == !ex.accepted);
    return ex.accepted ? std::string("accepted") : ex.reject_reason;
  };
  CHECK(reason_of(write_text_file("notes.mp4", "this is not a video\n")) == "unreadable");
  CHECK(reason_of(write_text_file("empty.mp4", "")) == "unreadable");
  CHECK(reason_of((fs::path(fixture_dir()) / "missing.mp4").string()) == "unreadable");
  // Truncated: an MP4 whose index (moov, at the end) was cut off.
  {
    const auto full = make_fixture("tail_moov.mp4",
                                   "-f lavfi -i testsrc2=size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast");
    const auto size = fs::file_size(full);
    const auto cut = (fs::path(fixture_dir()) / "truncated.mp4").string();
    fs::copy_file(full, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, size / 2);
    CHECK(reason_of(cut) == "unreadable");
  }
  CHECK(reason_of(make_fixture("audio.m4a", "-f lavfi -i sine=frequency=440:duration=1 -c:a aac")) ==
        "no_video_stream");
  CHECK(reason_of(make_fixture("short.mp4",
                               "-f lavfi -i testsrc2=size=160x120:rate=10 -t 0.5 -c:v libx264 -preset ultrafast")) ==
        "too_short");
  CHECK(reason_of(make_fixture("tiny.mp4",
                               "-f lavfi -i testsrc2=size=32x24:rate=10 -t 3 -c:v libx264 -preset ultrafast")) ==
        "too_small");
  CHECK(reason_of(make_fixture("still.mp4",
                               "-f lavfi -i smptebars=size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast")) ==
        "too_static");
  CHECK(reason_of(make_fixture("black.mp4",
                               "-f lavfi -i color=c=black:size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast")) ==
        "mostly_black");
  CHECK(reason_of(make_fixture("flat.mp4",
                               "-f lavfi -i color=c=0x3060c0:size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast")) ==
        "mostly_blank");  // a flat colour that is not dark: blank, not black
  CHECK(reason_of(make_fixture("grey.mp4",
                               "-f lavfi -i color=c=0x808080:size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast")) ==
        "mostly_blank");  // uniform mid-grey (RGB 128) is blank footage, not dark footage
  // Duplicates: the same content again, and re-encoded at another size and quality.
  data::DuplicateIndex index(cfg.duplicate_hamming);
  CHECK(reason_of(moving_video(), cfg, &index) == "accepted");
  CHECK(reason_of(moving_video(), cfg, &index) == "duplicate");
  const auto reencoded = make_fixture("moving_small.mp4", "-i " + quote(moving_video()) +
                                                              " -vf scale=120:90 -c:v libx264 -crf 32 -preset ultrafast");
  CHECK(reason_of(reencoded, cfg, &index) == "duplicate");
  CHECK(reason_of(make_fixture("other.mp4",
                               "-f lavfi -i mandelbrot=size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast"),
                  cfg, &index) == "accepted");
}

TEST_CASE("clips: corrupted.mp4 follows the decode-error policy that the report states", "[unit][video]") {
  const auto path = video_asset("corrupted.mp4");
  if (!require_or_skip(fs::exists(path), path + " is absent")) return;
  auto cfg = small_config();
  cfg.max_clips_per_video = 0;
  cfg.static_threshold = 0;
  cfg.max_black_fraction = 1;
  const auto kept = data::extract_clips(path, cfg);
  INFO(kept.detail);
  CHECK(kept.decode_errors > 0);
  CHECK(kept.accepted);
  CHECK_THAT(kept.detail, Catch::Contains("decode errors"));
  cfg.on_decode_error = config::DecodeErrorPolicy::reject;
  const auto strict = data::extract_clips(path, cfg);
  CHECK_FALSE(strict.accepted);
  CHECK(strict.reject_reason == "decode_errors");
  cfg.on_decode_error = config::DecodeErrorPolicy::keep;
  cfg.max_decode_error_fraction = 0.0;
  CHECK(data::extract_clips(path, cfg).reject_reason == "decode_errors");
  const auto policy = data::video_policy_json(small_config());
  CHECK_THAT(policy["decode_errors"].get<std::string>(), Catch::Contains("keep decodable frames"));
}

TEST_CASE("clips: the report lists every input; accepted + rejected = inputs", "[unit][video]") {
  if (!need_ffmpeg()) return;
  const auto cfg = small_config();
  data::DuplicateIndex index(cfg.duplicate_hamming);
  data::AcceptReport report(data::video_policy_json(cfg));
  const std::vector<std::string> inputs = {moving_video(), write_text_file("garbage.bin", "xyz"), moving_video(),
                                           (fs::path(fixture_dir()) / "nope.mp4").string()};
  // Several threads at once, one shared duplicate index.
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i)
    threads.emplace_back([&, i] { report.add(data::extract_clips(inputs[i], cfg, &index).record(i, inputs[i])); });
  for (auto& t : threads) t.join();
  const auto j = report.to_json();
  CHECK(j["inputs"] == 4);
  CHECK(j["accepted"].get<int>() + j["rejected"].get<int>() == 4);
  CHECK(j["accepted"] == 1);  // the same video twice: one of them is the duplicate
  CHECK(j["reasons"]["duplicate"] == 1);
  CHECK(j["reasons"]["unreadable"] == 2);
  CHECK(j["clips"] == 5);
  for (size_t i = 0; i < inputs.size(); ++i) CHECK(j["entries"][i]["index"] == i);
  TempDir tmp;
  report.write((tmp / "report.json").string());
  CHECK(fs::exists(tmp / "report.json"));
}
