// MP4 writer round trips, PNG/JPEG images, atomic outputs.
#include <catch2/catch.hpp>

#include <filesystem>

#include "framework/video/decoder.h"
#include "framework/image/png.h"
#include "framework/video/image.h"
#include "framework/video/probe.h"
#include "framework/video/writer.h"
#include "tests/video/oracle.h"

using namespace vdf::video;
using namespace vdf::testing;
using namespace vdf::testing::video;
namespace fs = std::filesystem;

namespace {
// A smooth moving picture (natural-ish content; pure noise would not survive any lossy codec).
torch::Tensor moving_frames(int t, int h, int w) {
  auto y = torch::arange(h, torch::kFloat).view({1, h, 1});
  auto x = torch::arange(w, torch::kFloat).view({1, 1, w});
  auto k = torch::arange(t, torch::kFloat).view({t, 1, 1});
  auto r = 128 + 100 * torch::sin((x + 3 * k) / 17.0);
  auto g = 128 + 100 * torch::cos((y - 2 * k) / 13.0);
  auto b = 128 + 60 * torch::sin((x + y + k) / 23.0);
  return torch::stack({r.expand({t, h, w}), g.expand({t, h, w}), b.expand({t, h, w})}, 3)
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8);
}
}  // namespace

TEST_CASE("writer: MP4 round trip keeps frame count and fps exactly, PSNR >= 35 dB", "[unit][video]") {
  TempDir tmp;
  const auto frames = moving_frames(20, 48, 64);
  for (double fps : {12.0, 30000.0 / 1001.0, 8.0}) {
    INFO("fps " << fps);
    const auto path = (tmp / "rt.mp4").string();
    write_mp4(path, frames, fps);
    const auto info = probe_video(path);
    CHECK(info.frame_count == 20);
    CHECK(info.avg_fps == Approx(fps).epsilon(1e-9));
    CHECK(info.nominal_fps == Approx(fps).epsilon(1e-9));
    CHECK(info.duration_s == Approx(20 / fps).epsilon(1e-6));
    CHECK(info.codec == (has_libx264() ? "h264" : "mpeg4"));
    CHECK(info.pix_fmt == "yuv420p");
    const auto back = decode_video(path);
    REQUIRE(back.frames.sizes() == frames.sizes());
    const double p = psnr(back.frames, frames);
    INFO("PSNR " << p);
    CHECK(p >= 35);
    for (size_t i = 0; i < back.timestamps.size(); ++i) CHECK(back.timestamps[i] == Approx(i / fps).margin(1e-6));
  }
}

TEST_CASE("writer: MPEG-4 Part 2 fallback and odd sizes", "[unit][video]") {
  TempDir tmp;
  const auto frames = moving_frames(10, 25, 33);  // odd width and height
  Mp4WriterOptions o;
  o.codec = "mpeg4";
  Mp4Writer w;
  const auto path = (tmp / "odd.mp4").string();
  w.open(path, 33, 25, 10, o);
  CHECK(w.codec_name() == "mpeg4");
  for (int64_t t = 0; t < 10; ++t) w.write(frames[t]);
  w.close();
  const auto info = probe_video(path);
  CHECK(info.codec == "mpeg4");
  CHECK(info.width == 34);  // padded to even by repeating the edge
  CHECK(info.height == 26);
  CHECK(info.frame_count == 10);
  const auto back = decode_video(path).frames;
  REQUIRE(back.size(0) == 10);
  const double p = psnr(back.slice(1, 0, 25).slice(2, 0, 33), frames);
  INFO("PSNR " << p);
  CHECK(p >= 30);
}

TEST_CASE("writer: an unfinished MP4 leaves no file; bad input is an error", "[unit][video]") {
  TempDir tmp;
  const auto path = (tmp / "partial.mp4").string();
  {
    Mp4Writer w;
    w.open(path, 32, 32, 10);
    w.write(moving_frames(1, 32, 32)[0]);
  }  // destroyed without close()
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::is_empty(tmp.path()));
  Mp4Writer w;
  w.open(path, 32, 32, 10);
  CHECK_THROWS_WITH(w.write(moving_frames(1, 16, 32)[0]), Catch::Contains("expected a uint8 [32, 32, 3]"));
  CHECK_THROWS_WITH(write_mp4(path, torch::zeros({0, 8, 8, 3}, torch::kUInt8), 10), Catch::Contains("T >= 1"));
}

TEST_CASE("image: PNG round trip is exact; JPEG decodes like ffmpeg", "[unit][video]") {
  TempDir tmp;
  const auto img = moving_frames(1, 37, 53)[0];
  const auto png = (tmp / "a.png").string();
  vdf::image::write_png(png, img);
  CHECK(torch::equal(read_image(png), img));
  if (!require_or_skip(has_ffmpeg(), "the ffmpeg CLI is not installed")) return;
  const auto jpg = (tmp / "a.jpg").string();
  REQUIRE(run_command("ffmpeg -nostdin -v error -y -i " + quote(png) + " -q:v 2 " + quote(jpg)).exit_code == 0);
  const auto ours = read_image(jpg);
  const auto ref = ffmpeg_rgb(jpg, "-sws_flags bicubic+accurate_rnd+full_chroma_int+full_chroma_inp", 53, 37);
  REQUIRE(ours.sizes() == ref[0].sizes());
  CHECK(psnr(ours, ref[0]) >= 45);
  CHECK(psnr(ours, img) >= 30);  // and it is the picture we saved
  CHECK_THROWS_AS(read_image((tmp / "missing.png").string()), VideoError);
}
