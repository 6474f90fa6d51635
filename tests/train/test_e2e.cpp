// End to end: `vdf train` on the synthetic dataset, then `vdf sample` from the run (EMA weights), with
// the tiny CLIP text encoder and the random-tiny VAE (recipe weights; needs the CLIP tokenizer asset).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "tests/test_support.h"
#include "train/run_dir.h"

using vdf::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("e2e: vdf train on synthetic latents, then vdf sample writes clips and sample.json", "[e2e][train]") {
  if (!vdf::testing::require_shared({"assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"})) return;  // CLIP tokenizer
  TempDir tmp("vdf-e2e");
  const std::string exe = vdf::testing::vdf_exe();
  const std::string cfg = (vdf::testing::source_dir() / "configs/train/tiny_cpu.yaml").string();
  auto train = vdf::testing::run_command(exe + " train --config " + cfg + " run.root=" + tmp.path().string() +
                                         " run.name=e2e train.steps=6 train.ckpt_every=3 train.val_every=3 2>&1");
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  const fs::path run = tmp.path() / "e2e";
  for (auto f : {"config.yaml", "command.txt", "version.json", "train.log", "metrics.jsonl",
                 "checkpoints/latest", "checkpoints/step_0000006/model.safetensors",
                 "checkpoints/step_0000006/ema.safetensors"})
    CHECK(fs::exists(run / f));
  auto metrics = vdf::train::read_metrics(run / "metrics.jsonl");
  int train_lines = 0, val_lines = 0;
  for (auto& j : metrics) (j["kind"] == "train" ? train_lines : val_lines) += 1;
  CHECK(train_lines == 6);
  CHECK(val_lines == 2);

  vdf::write_file_atomic(tmp / "prompts.txt", "a red circle moving left\n# comment\na blue square moving up\n");
  auto sample = vdf::testing::run_command(exe + " sample --run-dir " + run.string() + " --prompts " +
                                          (tmp / "prompts.txt").string() + " --out " + (tmp / "out").string() +
                                          " --steps 3 --cfg 2 --seed 7 --sampler euler 2>&1");
  INFO(sample.output);
  REQUIRE(sample.exit_code == 0);
  auto info = nlohmann::json::parse(vdf::read_file(tmp / "out/sample.json"));
  CHECK(info["steps"] == 3);
  CHECK(info["cfg_scale"] == 2.0);
  CHECK(info["seed"] == 7);
  CHECK(info["sampler"] == "euler");
  CHECK(info["weights"] == "ema");
  REQUIRE(info["outputs"].size() == 2);
  CHECK(info["outputs"][1]["seed"] == 8);
#ifdef VDF_WITH_VIDEO
  CHECK(fs::file_size(tmp / "out/000.mp4") > 100);
  CHECK(fs::file_size(tmp / "out/001.mp4") > 100);
#endif
  // Same settings, same output.
  auto again = vdf::testing::run_command(exe + " sample --run-dir " + run.string() + " --prompts " +
                                         (tmp / "prompts.txt").string() + " --out " + (tmp / "out2").string() +
                                         " --steps 3 --cfg 2 --seed 7 --sampler euler 2>&1");
  REQUIRE(again.exit_code == 0);
  CHECK(vdf::read_file(tmp / "out/latents/000.safetensors") == vdf::read_file(tmp / "out2/latents/000.safetensors"));
  // Bad input: one line, exit 1.
  auto bad = vdf::testing::run_command(exe + " sample --run-dir " + (tmp / "nope").string() + " --prompts " +
                                       (tmp / "prompts.txt").string() + " --out " + (tmp / "o3").string() + " 2>&1");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("has no checkpoint"));
}
