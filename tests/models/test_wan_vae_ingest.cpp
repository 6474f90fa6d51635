// `vae.kind: wan` through the programs: `vdf ingest` of a shared video with a tiny random-weight Wan VAE
// (shards of latent shape [16, 1 + (T-1)/4, H/8, W/8], the VAE's identity and per-channel normalization
// recorded), a clip length that is not 1 + 4k refused before any input is read, and `vdf train` +
// `vdf sample` on those shards decoding Wan latents to MP4.
#if defined(VDF_WITH_HDF5) && defined(VDF_WITH_VIDEO)
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "data/h5/shard_reader.h"
#include "framework/core/atomic_file.h"
#include "tests/test_support.h"

using namespace vdf::testing;
namespace fs = std::filesystem;

namespace {

void write_wan_ingest_config(const TempDir& dir, int clip_frames) {
  const auto video = shared("assets/videos/nasa_13013.mp4");
  vdf::write_file_atomic(dir / "manifest.csv", fmt::format("id,path,caption\nnasa,{},a rocket launch at dawn\n",
                                                           video.string()));
  vdf::write_file_atomic(dir / "ingest.yaml", fmt::format(R"(ingest:
  manifest: {}
  output: {}
  inputs_per_shard: 4
  batch_size: 1
  threads: 2
  progress: false
video:
  fps: 4
  width: 64
  height: 48
  clip_frames: {}
  clip_stride: 8
  max_clips_per_video: 1
vae:
  kind: wan
  wan: {{base_dim: 8}}
  device: cpu
text_encoder:
  size: tiny
  max_length: 16
  device: cpu
run:
  threads: 2
)",
                                                          (dir / "manifest.csv").string(), (dir / "out").string(),
                                                          clip_frames));
}

}  // namespace

TEST_CASE("wan vae: vdf ingest writes [16, 1+(T-1)/4, H/8, W/8] latents; vdf sample decodes them to MP4",
          "[e2e][wan_vae]") {
  if (!require_shared({"assets/videos/nasa_13013.mp4", "assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"})) return;
  TempDir dir("vdf-wan-ingest");
  write_wan_ingest_config(dir, 5);
  auto r = run_command(vdf_exe() + " ingest --config " + (dir / "ingest.yaml").string() + " 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("random weights, not pretrained"));
  vdf::data::ShardDataset ds(dir / "out");
  REQUIRE(ds.size() == 1);
  const auto& v = ds.header().vae;
  CHECK(v.name.find("wan2.1-vae") == 0);
  CHECK(v.name.find("(random weights, not pretrained)") != std::string::npos);
  CHECK(v.latent_channels == 16);
  CHECK(v.ct == 4);
  REQUIRE(v.channel_scale.size() == 16);
  CHECK(v.channel_shift.size() == 16);
  CHECK(v.channel_shift[0] == -0.7571);        // Wan 2.1 latents_mean[0]
  CHECK(v.channel_scale[0] == 1.0 / 2.8184);  // 1 / latents_std[0], exact through the shard attribute
  auto s = ds.get(0);
  CHECK(s.latents.sizes() == std::vector<int64_t>{16, 2, 6, 8});  // 5 frames of 48x64
  CHECK(ds.meta(0).frames == 5);

  // vdf train on the shards (2 steps) and vdf sample from the run: Wan latents decode to MP4
  vdf::write_file_atomic(dir / "train.yaml", fmt::format(R"(_base_: [{}]
data: {{source: shards, shards: {}, batch_size: 1, bucket_batch: [], val_samples: 0}}
model: {{in_channels: 16}}
vae: {{kind: wan, wan: {{base_dim: 8}}, device: cpu}}
text_encoder: {{max_length: 16, device: cpu}}
train: {{steps: 2, ckpt_every: 2, val_every: 0, sample_every: 0, sample_shape: 2x6x8}}
)",
                                                         (source_dir() / "configs/train/tiny_cpu.yaml").string(),
                                                         (dir / "out").string()));
  auto train = run_command(vdf_exe() + " train --config " + (dir / "train.yaml").string() + " run.root=" +
                           (dir / "runs").string() + " 2>&1");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  vdf::write_file_atomic(dir / "prompts.txt", "a rocket launch at dawn\n");
  auto sample = run_command(vdf_exe() + " sample --run-dir " + (dir / "runs/tiny_cpu").string() + " --prompts " +
                            (dir / "prompts.txt").string() + " --out " + (dir / "samples").string() +
                            " --steps 2 2>&1");
  INFO(sample.output);
  REQUIRE(sample.exit_code == 0);
  CHECK(fs::exists(dir / "samples/000.mp4"));
  auto probe = run_command(vdf_exe() + " probe " + (dir / "samples/000.mp4").string() + " 2>&1");
  INFO(probe.output);
  CHECK_THAT(probe.output, Catch::Contains("64x48") || Catch::Contains("64 x 48"));
}

TEST_CASE("wan vae: vdf ingest refuses clip_frames that are not 1 + 4k before reading inputs", "[unit][wan_vae]") {
  TempDir dir("vdf-wan-ingest-frames");
  write_wan_ingest_config(dir, 8);
  auto r = run_command(vdf_exe() + " ingest --config " + (dir / "ingest.yaml").string() + " 2>&1");
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.output, Catch::Contains("video.clip_frames") && Catch::Contains("= 8") && Catch::Contains("5 or 9"));
  CHECK_FALSE(fs::exists(dir / "out" / "index.json"));
}
#endif
