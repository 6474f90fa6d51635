// `vdf compare` with everything a study has: two trained runs with periodic samples, a `vdf eval
// --run-dir` report (recipe Inception weights) inside one run folder, and one passed with --eval; the page
// loads in headless Chromium without console errors and shows the differing keys, the eval metric with
// its weights provenance, and the sample strips of each (prompt, seed) side by side.
#include <catch2/catch.hpp>

#include "experiments/compare.h"
#include "tests/experiments/experiments_test_util.h"

using vdf::testing::TempDir;
using namespace vdf::experiments::testing;

TEST_CASE("compare: config diff, curves, eval metrics with provenance and sample strips of two runs in Chromium",
          "[e2e][experiments]") {
  if (!vdf::testing::require_shared({"assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"})) return;  // CLIP tokenizer (sampling)
  TempDir tmp("vdf-compare");
  const std::string common =
      "train.steps=4 train.ckpt_every=4 train.val_every=2 train.sample_every=4 "
      "'train.sample_prompts=[a red circle, a blue square]' train.sample_shape=2x8x8 sample.steps=2";
  for (const char* lr : {"0.001", "0.003"}) {
    auto r = train_tiny(tmp / "runs", std::string("lr") + lr, common + " train.lr=" + lr);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  const fs::path a = tmp / "runs/lr0.001", b = tmp / "runs/lr0.003";
  // Inception Score of each run's step-4 samples: one report inside run a, one outside for run b.
  for (const auto& [run, out] : {std::make_pair(a, a / "eval"), std::make_pair(b, tmp / "eval_b")}) {
    auto r = vdf::testing::run_command(vdf::testing::vdf_exe() + " eval --generated " +
                                       (run / "samples/step_0000004").string() + " --metrics is --weights recipe" +
                                       " --device cpu eval.is_splits=1 --run-dir " + run.string() + " --out " +
                                       out.string() + " 2>&1");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    // The eval metric also went to the run's TensorBoard, at the samples' step.
    std::string output;
    const auto tb = read_tensorboard("events", run / "tensorboard/eval", &output);
    if (!vdf::testing::require_or_skip(tb.is_object(), "the pinned Python with tensorboard: " + output)) return;
    const auto report = nlohmann::json::parse(vdf::read_file(out / "report.json"));
    CHECK(report["step"] == 4);
    REQUIRE(tb["scalars"].contains("eval/is"));
    CHECK(tb["scalars"]["eval/is"][0][0] == 4);
    CHECK(tb["scalars"]["eval/is"][0][1].get<double>() ==
          static_cast<double>(static_cast<float>(report["metrics"]["is"]["value"].get<double>())));
  }

  const std::string dom = check_compare_page({a, b}, tmp / "compare", "two_runs", "--eval " + (tmp / "eval_b/report.json").string());
  if (dom.empty()) return;
  const auto summary = nlohmann::json::parse(vdf::read_file(tmp / "compare/compare.json"));
  CHECK(summary["differing_keys"] == nlohmann::json::parse(R"(["run.name", "train.lr"])"));
  CHECK(summary["runs"][0]["eval_reports"].size() == 1);  // found inside the run folder
  CHECK(summary["runs"][1]["eval_reports"].size() == 1);  // given with --eval
  // One eval table, both runs' IS with the weights that produced it.
  CHECK(vdf::eval::testing::count_of(dom, "id=\"metrics\"") == 1);
  CHECK(dom.find("lr0.001 — is @ step 4") != std::string::npos);
  CHECK(dom.find("lr0.003 — is @ step 4") != std::string::npos);
  CHECK(vdf::eval::testing::count_of(dom, "<b>weights_format</b>: recipe") == 2);
  // Curves by step and by samples seen, for loss and validation loss.
  CHECK(vdf::eval::testing::count_of(dom, "<svg") == 4);
  // Sample strips: 2 prompts x 2 runs, same prompt and seed next to each other.
  CHECK(vdf::eval::testing::count_of(dom, "<img") == 4);
  CHECK(dom.find("lr0.001 — step 4 — 'a red circle' (seed 0)") != std::string::npos);
  CHECK(dom.find("lr0.003 — step 4 — 'a red circle' (seed 0)") != std::string::npos);
  CHECK(dom.find("no sample of") == std::string::npos);

  // A report of a run that is not compared is refused, naming it.
  auto bad = vdf::testing::run_command(vdf::testing::vdf_exe() + " compare " + a.string() + " --eval " +
                                       (tmp / "eval_b/report.json").string() + " --out " + (tmp / "c2").string() + " 2>&1");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("which is not compared"));
}
