// The `vdf probe` and `vdf normalize` commands, end to end.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "framework/video/image.h"
#include "tests/video/oracle.h"

using namespace vdf::testing;
using namespace vdf::testing::video;
namespace fs = std::filesystem;

TEST_CASE("cli: vdf probe --json describes the chosen stream", "[e2e][video]") {
  if (shared_videos().empty()) return;
  auto r = run_command(vdf_exe() + " probe --json " + quote(video_asset("nasa_13013.mp4")));
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.output);
  CHECK(j["chosen_stream"] == 3);
  CHECK(j["width"] == 480);
  CHECK(j["frame_count"] == 390);
  r = run_command(vdf_exe() + " probe --stream 0 " + quote(video_asset("nasa_13013.mp4")));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("320x180"));
  r = run_command(vdf_exe() + " probe " + quote(video_asset("video_90.mov")));
  CHECK_THAT(r.output, Catch::Contains("320x568"));
  r = run_command(vdf_exe() + " probe /nonexistent.mp4");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("/nonexistent.mp4"));
}

TEST_CASE("cli: vdf normalize writes .rgb like ffmpeg, PNG folders and MP4", "[e2e][video]") {
  if (shared_videos().empty() || !has_ffmpeg()) return;
  TempDir tmp;
  const auto src = video_asset("av1_video.mkv");
  const auto rgb = (tmp / "out.rgb").string();
  auto r = run_command(vdf_exe() + " normalize " + quote(src) + " " + quote(rgb) +
                       " --fps 6 --size 64x48 --filter bicubic --report " + quote((tmp / "report.json").string()));
  REQUIRE(r.exit_code == 0);
  // 640x360 -> cover 85x48 -> crop x=10.
  const auto ref = ffmpeg_rgb(
      src, "-vf 'fps=6,scale=85:48:flags=bicubic+accurate_rnd+full_chroma_int+full_chroma_inp,format=rgb24,crop=64:48:10:0'",
      64, 48);
  std::ifstream f(rgb, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE(static_cast<int64_t>(bytes.size()) == ref.numel());
  auto ours = torch::from_blob(bytes.data(), ref.sizes(), torch::kUInt8).clone();
  CHECK(psnr(ours, ref) >= 45);
  std::ifstream rep(tmp / "report.json");
  const auto j = nlohmann::json::parse(rep);
  CHECK(j["accepted"] == 1);
  CHECK(j["entries"][0]["frames"] == ref.size(0));

  const auto dir = (tmp / "frames").string();
  r = run_command(vdf_exe() + " normalize " + quote(src) + " " + quote(dir) + " --fps 2 --size 32x32");
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(tmp / "frames" / "000000.png"));
  CHECK(vdf::video::read_image((tmp / "frames" / "000000.png").string()).sizes() == torch::IntArrayRef({32, 32, 3}));
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".png";
  CHECK(n == 10);  // 5 s at 2 fps

  const auto mp4 = (tmp / "out.mp4").string();
  r = run_command(vdf_exe() + " normalize " + quote(src) + " " + quote(mp4) + " --fps 5 --size 64x64 --crop none");
  REQUIRE(r.exit_code == 0);
  r = run_command(vdf_exe() + " probe --json " + quote(mp4));
  const auto p = nlohmann::json::parse(r.output);
  CHECK(p["frame_count"] == 25);
  CHECK(p["avg_fps"] == 5.0);
  CHECK(p["width"] == 64);

  r = run_command(vdf_exe() + " normalize " + quote(src) + " " + quote(mp4) + " --fps 5 --size 64");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("--size '64'"));
  r = run_command(vdf_exe() + " normalize --help");
  CHECK_THAT(r.output, Catch::Contains("area"));
}
