// Sweeps (experiments/sweep.h, `vdf sweep`) and the comparison page (`vdf compare`): a 2x2 sweep of the
// tiny CPU config trained locally and as a job array on the real local SLURM, four run directories whose
// configs differ exactly in the swept keys, finished runs skipped on a repeat, an invalid variant
// refused before anything starts, and the comparison of the runs loaded in headless Chromium.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <fstream>

#include "experiments/compare.h"
#include "tests/experiments/experiments_test_util.h"

using vdf::testing::TempDir;
using namespace vdf::experiments::testing;

namespace {

const std::vector<std::string> kSweepRuns = {"lr0.001-wu0", "lr0.001-wu1", "lr0.002-wu0", "lr0.002-wu1"};

// A 2x2 sweep (train.lr x train.warmup_steps) of the tiny CPU config; `extra` lines go at the end.
fs::path write_sweep_file(const fs::path& dir, const std::string& extra = "",
                          const std::string& name = "lr{train.lr}-wu{train.warmup_steps}") {
  const fs::path file = dir / "sweep.yaml";
  vdf::write_file_atomic(file, "base: " + tiny_config() +
                                   "\n"
                                   "set: {train.steps: 3, train.ckpt_every: 3, train.val_every: 3, run.threads: 1}\n"
                                   "grid:\n"
                                   "  train.lr: [0.001, 0.002]\n"
                                   "  train.warmup_steps: [0, 1]\n"
                                   "name: \"" + name + "\"\n" + extra);
  return file;
}

// The four run directories hold finished runs whose resolved configs differ exactly in the swept keys
// (and the run name).
void check_sweep_runs(const fs::path& out) {
  std::vector<std::map<std::string, std::string>> configs;
  for (const auto& name : kSweepRuns) {
    INFO(name);
    REQUIRE(fs::exists(out / name / "checkpoints/step_0000003/model.safetensors"));
    REQUIRE(fs::exists(out / name / "metrics.jsonl"));
    configs.push_back(vdf::experiments::flatten_config(YAML::LoadFile((out / name / "config.yaml").string())));
  }
  CHECK(vdf::experiments::differing_keys(configs) ==
        std::vector<std::string>{"run.name", "train.lr", "train.warmup_steps"});
  CHECK(configs[0]["train.lr"] == "0.001");
  CHECK(configs[3]["train.lr"] == "0.002");
  CHECK(configs[1]["train.warmup_steps"] == "1");
  CHECK(configs[0]["run.root"] == out.string());
  CHECK(configs[0]["train.steps"] == "3");  // from `set`
}

}  // namespace

TEST_CASE("sweep: an invalid variant is refused naming the run, key and value, before anything starts",
          "[unit][experiments]") {
  TempDir tmp("vdf-sweep-bad");
  const fs::path file = tmp / "bad.yaml";
  vdf::write_file_atomic(file, "base: " + tiny_config() + "\ngrid:\n  train.lr: [0.001, -1]\n  train.warmup_steps: [0, 1]\n");
  auto r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " +
                                     (tmp / "out").string() + " 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("lr-1-warmup_steps0"));  // the run's name
  CHECK_THAT(r.output, Catch::Contains("train.lr=-1"));         // its swept values
  CHECK_THAT(r.output, Catch::Contains("> 0"));                 // what train.lr must be
  CHECK_FALSE(fs::exists(tmp / "out/sweep"));                   // nothing written, nothing started

  vdf::write_file_atomic(file, "base: " + tiny_config() + "\ngrid:\n  train.lrr: [0.001]\n");
  r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + (tmp / "out").string() +
                                " --dry-run 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("lrr"));

  vdf::write_file_atomic(file, "base: " + tiny_config() + "\ngrids: {}\n");
  r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + (tmp / "out").string() +
                                " --dry-run 2>&1");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("unknown key 'grids'"));
}

TEST_CASE("sweep: expansion of grid, variants and seeds with names and validation", "[unit][experiments]") {
  TempDir tmp("vdf-sweep-expand");
  const fs::path file = write_sweep_file(tmp.path(), "variants:\n  - {train.lr: 0.01, train.grad_clip: 0.5}\nseeds: [3, 4]\n");
  // A name template without {seed} would give two runs one name: refused.
  auto r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " +
                                     (tmp / "out").string() + " --dry-run 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("would both be named"));

  write_sweep_file(tmp.path(), "variants:\n  - {train.lr: 0.01, train.grad_clip: 0.5}\nseeds: [3, 4]\n",
                   "lr{train.lr}-wu{train.warmup_steps}-s{seed}");
  r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + (tmp / "out").string() +
                                " --dry-run 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto manifest = nlohmann::json::parse(vdf::read_file(tmp / "out/sweep/runs.json"));
  REQUIRE(manifest["runs"].size() == 10);  // (2x2 grid + 1 variant) x 2 seeds
  CHECK(manifest["runs"][0]["name"] == "lr0.001-wu0-s3");
  CHECK(manifest["runs"][9]["name"] == "lr0.01-wu5-s4");  // the variant keeps the base's warmup (5)
  CHECK(manifest["runs"][9]["varied"]["train.grad_clip"] == "0.5");
  const auto cfg = YAML::LoadFile((tmp / "out/sweep/configs/lr0.01-wu5-s4.yaml").string());
  CHECK(cfg["train"]["grad_clip"].as<double>() == 0.5);
  CHECK(cfg["run"]["seed"].as<int>() == 4);
  CHECK(cfg["run"]["name"].as<std::string>() == "lr0.01-wu5-s4");
  CHECK_FALSE(fs::exists(tmp / "out/lr0.001-wu0-s3"));  // dry run: nothing trained
}

TEST_CASE("sweep: a 2x2 sweep of the tiny CPU config runs locally into four run directories, a repeat skips "
          "them, the comparison page lists every run",
          "[e2e][experiments]") {
  TempDir tmp("vdf-sweep");
  const fs::path file = write_sweep_file(tmp.path());
  const fs::path out = tmp / "runs";
  auto r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + out.string() + " 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("sweep: 4 trained, 0 already finished, 0 failed"));
  check_sweep_runs(out);
  for (const auto& name : kSweepRuns) CHECK(fs::exists(out / "sweep/logs" / (name + ".log")));

  // Repeat: every run finished, nothing trains again.
  r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + out.string() + " 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("sweep: 0 trained, 4 already finished, 0 failed"));

  // One run lost: a SLURM submission would be an array of that one task only.
  fs::remove_all(out / kSweepRuns[2]);
  r = vdf::testing::run_command(vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + out.string() +
                                " --slurm --dry-run 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("would submit: sbatch --parsable --array=2 " + (out / "sweep/array.sbatch").string()));
  CHECK_THAT(vdf::read_file(out / "sweep/array.sbatch"), Catch::Contains("#SBATCH --cpus-per-task=1"));

  std::vector<fs::path> runs;
  for (const auto& name : {kSweepRuns[0], kSweepRuns[1], kSweepRuns[3]}) runs.push_back(out / name);
  check_compare_page(runs, tmp / "compare", "local");
}

TEST_CASE("sweep: the same 2x2 sweep as one job array on the real local SLURM, resubmitting skips finished runs",
          "[e2e][slow][experiments]") {
  TempDir tmp("vdf-sweep-slurm");
  const fs::path file = write_sweep_file(tmp.path());
  const fs::path out = tmp / "runs";
  const std::string sweep = vdf::testing::vdf_exe() + " sweep " + file.string() + " --out " + out.string() + " --slurm --wait";
  const std::string script = (vdf::testing::source_dir() / "tests/scripts/slurm_local.sh").string();
  // Both submissions against one SLURM: the second must find every run finished and submit nothing.
  const std::string both = sweep + " && " + sweep;
  auto r = vdf::testing::run_command("SLURM_LOCAL_COMMAND='" + both + "' " + script + " " + (tmp / "slurm").string() + " 2>&1");
  if (!vdf::testing::require_or_skip(r.exit_code != 77, "SLURM cannot run here: " + r.output)) return;
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("--array=0,1,2,3"));
  CHECK_THAT(r.output, Catch::Contains("all 4 runs finished; nothing to submit"));
  check_sweep_runs(out);
  std::vector<fs::path> runs;
  for (const auto& name : kSweepRuns) runs.push_back(out / name);
  check_compare_page(runs, tmp / "compare", "slurm");
}
