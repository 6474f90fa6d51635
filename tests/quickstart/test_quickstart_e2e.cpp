// [e2e] A reduced quickstart through the real script (tools/quickstart.sh with VDF set: no setup/build):
// synthetic MP4 dataset -> vdf ingest -> vdf train -> vdf sample (trained + untrained) -> vdf eval ->
// vdf attributes. Asserts valid MP4s, a report, and attribute accuracy above the untrained baseline.
// The reduced run (80 clips, the quickstart DiT, 600 steps instead of 2400) takes ~4 minutes on 2 cores; the full quickstart
// and its measured accuracy are in docs/quickstart.md.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/video/decoder.h"
#include "tests/test_support.h"

using namespace vdf::testing;

TEST_CASE("quickstart e2e: reduced run produces MP4s, a report, and beats the untrained model", "[e2e][quickstart]") {
  if (!vdf::testing::require_shared({"assets/vae/taef2_encoder.pth", "assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"}))
    return;
  TempDir dir("vdf-quickstart");
  const std::string cmd =
      "cd " + source_dir().string() + " && VDF=" + vdf_exe() + " VDF_QUICKSTART_OUT=" + dir.path().string() +
      " VDF_QUICKSTART_REPEATS=2 tools/quickstart.sh synthetic.clips_per_caption=2 train.steps=600 "
      "train.warmup_steps=50 train.ckpt_every=300 train.val_every=300 train.log_every=50 sample.steps=12 2>&1";
  auto r = run_command(cmd);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("quickstart report: "));

  // Valid MP4s: 16 per set (8 held-out prompts x 2), each decodes to 8 frames of 64x64.
  for (const char* set : {"trained", "untrained"}) {
    auto info = nlohmann::json::parse(vdf::read_file(dir / "samples" / set / "sample.json"));
    REQUIRE(info["outputs"].size() == 16);
    auto v = vdf::video::decode_video((dir / "samples" / set / info["outputs"][0]["video"].get<std::string>()).string());
    CHECK(v.frames.sizes() == std::vector<int64_t>{8, 64, 64, 3});
  }
  const std::string html = vdf::read_file(dir / "report/report.html");
  CHECK_THAT(html, Catch::Contains("Attribute accuracy") && Catch::Contains("Training loss") &&
                       Catch::Contains("data:image/png;base64"));
  auto attrs = nlohmann::json::parse(vdf::read_file(dir / "report/attributes.json"));
  auto mean_acc = [&](const char* set) {
    const auto& s = attrs["sets"][set];
    return (s["color_accuracy"].get<double>() + s["shape_accuracy"].get<double>() +
            s["direction_accuracy"].get<double>()) / 3.0;
  };
  INFO("trained " << attrs["sets"]["trained"].dump().substr(0, 200));
  INFO("untrained " << attrs["sets"]["untrained"].dump().substr(0, 200));
  CHECK(mean_acc("trained") > mean_acc("untrained"));
  CHECK(attrs["sets"]["trained"]["color_accuracy"].get<double>() > attrs["sets"]["untrained"]["color_accuracy"].get<double>());
}
