// End-to-end `vdf ingest` with the real stages: every shared video (many codecs, a corrupted one, odd
// sizes, rotation, VFR) plus PNG images, TAEF2 with its real weights and a tiny CLIP text encoder.
// Every input must be accounted for; `vdf inspect` must verify the shards. Then the same with a real
// SIGKILL in the middle and a re-run: the shards equal the uninterrupted ones.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <random>

#include "data/h5/shard_reader.h"
#include "framework/core/atomic_file.h"
#include "tests/test_support.h"

using namespace vdf::testing;
namespace fs = std::filesystem;

namespace {

// Writes manifest.csv (absolute paths into ../shared) and ingest.yaml into `dir`; returns the input count.
int write_inputs(const fs::path& dir, const fs::path& out) {
  std::string csv = "id,path,caption\n";
  int n = 0;
  std::vector<fs::path> videos;
  for (const auto& e : fs::directory_iterator(shared("assets/videos")))
    if (e.path().extension() != ".pt") videos.push_back(e.path());
  std::sort(videos.begin(), videos.end());
  const char* words[] = {"a rocket launch at dawn", "colourful test pattern moving", "a slow pan over a city",
                         "abstract shapes drifting left", "a blue sky with clouds"};
  for (const auto& v : videos)
    csv += fmt::format("{},{},\"{}, clip {}\"\n", v.filename().string(), v.string(), words[n % 5], n), ++n;
  for (const auto& e : fs::directory_iterator(shared("golden/clip/images"))) {
    if (e.path().extension() != ".png") continue;
    csv += fmt::format("{},{},a still frame {}\n", e.path().filename().string(), e.path().string(), n), ++n;
  }
  csv += fmt::format("missing,{},a file that is not there\n", (dir / "nope.mp4").string()), ++n;
  csv += fmt::format("nocaption,{},\n", videos.front().string()), ++n;
  vdf::write_file_atomic(dir / "manifest.csv", csv);
  vdf::write_file_atomic(dir / "ingest.yaml", fmt::format(R"(ingest:
  manifest: {}
  output: {}
  inputs_per_shard: 4
  batch_size: 4
  threads: 2
  progress: false
video:
  fps: 4
  width: 64
  height: 64
  clip_frames: 4
  clip_stride: 8
  max_clips_per_video: 2
vae:
  kind: taef2
  device: cpu
text_encoder:
  size: tiny
  max_length: 16
  device: cpu
)",
                                                          (dir / "manifest.csv").string(), out.string()));
  return n;
}

bool have_assets() {
  return vdf::testing::require_shared({"assets/videos", "assets/vae/taef2_encoder.pth", "golden/clip/images",
                                       "assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"});
}

}  // namespace

TEST_CASE("ingest e2e: all shared videos + images through vdf ingest, every input accounted for",
          "[e2e][ingest]") {
  if (!have_assets()) return;
  TempDir dir;
  const int inputs = write_inputs(dir.path(), dir / "out");
  auto r = run_command(vdf_exe() + " ingest --config " + (dir / "ingest.yaml").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains(fmt::format("{} inputs", inputs)));
  auto report = nlohmann::json::parse(vdf::read_file(dir / "out" / "report.json"));
  CHECK(report["inputs"] == inputs);
  CHECK(report["accepted"].get<int>() + report["rejected"].get<int>() == inputs);
  // The shared videos that legitimately fail at 4 fps / 4-frame clips / 64x64 minimum:
  // too_short: nasa_13013_rotated (0.57 s), test_non_zero_start (0.4 s of video), odd_width_mpeg2 (0.4 s),
  //            video_90 (0.1 s: `ffmpeg -vf fps=4` selects no frame either);
  // duplicate: nasa_13013_hdr (same footage as nasa_13013), testsrc2_vp9 (same pattern as testsrc2_mpeg4);
  // too_small: unordered.mov (50x50). Plus the two broken manifest rows.
  CHECK(report["accepted"].get<int>() == inputs - 9);
  CHECK(report["rejected_by_reason"]["missing_file"] == 1);
  CHECK(report["rejected_by_reason"]["empty_caption"] == 1);
  CHECK(report["rejected_by_reason"]["too_short"] == 4);
  CHECK(report["rejected_by_reason"]["duplicate"] == 2);
  CHECK(report["rejected_by_reason"]["too_small"] == 1);
  CHECK_FALSE(report["rejected_by_reason"].contains("unreadable"));
  for (const auto& rej : report["rejects"]) CHECK_FALSE(rej["reason"].get<std::string>().empty());

  vdf::data::ShardDataset ds(dir / "out");
  CHECK(ds.size() == report["clips"].get<int64_t>());
  CHECK(ds.header().vae.name.find("taef2") != std::string::npos);
  CHECK(ds.header().vae.latent_channels == 32);
  auto s = ds.get(0);
  CHECK(s.latents.sizes() == std::vector<int64_t>{32, 4, 8, 8});
  CHECK(s.text.size(0) == 16);
  int64_t images = 0;
  for (int64_t i = 0; i < ds.size(); ++i) images += ds.meta(i).frames == 1;
  CHECK(images == 3);

  auto insp = run_command(vdf_exe() + " inspect " + (dir / "out").string());
  INFO(insp.output);
  CHECK(insp.exit_code == 0);
  CHECK_THAT(insp.output, Catch::Contains("verified"));

  // The shards train a DiT (image and video buckets in one run) and sample with the same VAE/text encoder.
  vdf::write_file_atomic(dir / "train.yaml", fmt::format(R"(_base_: [{}]
data: {{source: shards, shards: {}, batch_size: 2, bucket_batch: [], val_samples: 2}}
model: {{in_channels: 32}}
vae: {{kind: taef2, device: cpu}}
text_encoder: {{max_length: 16, device: cpu}}
train: {{steps: 4, ckpt_every: 4, val_every: 4, sample_every: 4, sample_prompts: ["a red circle"], sample_shape: 1x8x8}}
)",
                                                         (vdf::testing::source_dir() / "configs/train/tiny_cpu.yaml").string(),
                                                         (dir / "out").string()));
  auto train = run_command(vdf_exe() + " train --config " + (dir / "train.yaml").string() + " run.root=" +
                           (dir / "runs").string() + " 2>&1");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  CHECK(fs::exists(dir / "runs/tiny_cpu/samples/step_0000004/000.mp4"));
  // Sampling with another text encoder than the shards were made with is refused, naming the keys.
  auto wrong = run_command(vdf_exe() + " train --config " + (dir / "train.yaml").string() + " run.root=" +
                           (dir / "runs2").string() + " text_encoder.max_length=77 2>&1");
  CHECK(wrong.exit_code != 0);
  CHECK_THAT(wrong.output, Catch::Contains("text_encoder.*") && Catch::Contains("max_length 16"));
}

TEST_CASE("ingest e2e: vdf ingest killed with SIGKILL, then re-run, equals an uninterrupted run",
          "[e2e][ingest]") {
  if (!have_assets()) return;
  TempDir ref_dir, dir;
  write_inputs(ref_dir.path(), ref_dir / "out");
  write_inputs(dir.path(), dir / "out");
  REQUIRE(run_command(vdf_exe() + " ingest --config " + (ref_dir / "ingest.yaml").string()).exit_code == 0);
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int ms = std::uniform_int_distribution<int>(2000, 12000)(rng);
    auto r = run_command(fmt::format("timeout -s KILL {}s {} ingest --config {} >/dev/null 2>&1; echo killed", ms / 1000.0,
                                     vdf_exe(), (dir / "ingest.yaml").string()));
    INFO("attempt " << attempt << " after " << ms << " ms");
  }
  auto r = run_command(vdf_exe() + " ingest --config " + (dir / "ingest.yaml").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto a = vdf::data::list_shards(ref_dir / "out"), b = vdf::data::list_shards(dir / "out");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    vdf::data::ShardFile x(a[i]), y(b[i]);
    REQUIRE(x.size() == y.size());
    for (int64_t j = 0; j < x.size(); ++j) {
      CHECK(x.info().samples[j].latent_sha256 == y.info().samples[j].latent_sha256);
      CHECK(torch::equal(x.read(j).text, y.read(j).text));
    }
  }
}
