// `vdf train` itself under data parallelism (CPU, Gloo, real processes through `vdf launch`): the same
// global batch split over 2 or 4 ranks trains to the same weights as 1 process.
// Tolerance: the objective draws timesteps/noise/dropout for the global batch on every rank (sliced), so
// the only difference is float32 summation order in the gradient average (~1e-7 relative), amplified
// by 8 AdamW steps at lr 1e-3: weights must agree within 5e-5 absolute, losses within 1e-4 relative.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "framework/core/atomic_file.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/distributed/ddp_harness.h"
#include "train/run_dir.h"

using namespace vdf::testing;

namespace {

constexpr double kWeightTol = 5e-5;

// A tiny_cpu run whose per-rank batch sizes are the global ones divided by `ranks`.
fs::path write_config(const fs::path& dir, int ranks) {
  const fs::path p = dir / fmt::format("ddp{}.yaml", ranks);
  vdf::write_file_atomic(p, fmt::format(R"(_base_: [{}]
data:
  bucket_batch:
    - {{bucket: "1x8x8", batch_size: {}}}
    - {{bucket: "4x8x8", batch_size: {}}}
train: {{steps: 8, ckpt_every: 4, val_every: 4, warmup_steps: 2}}
)",
                                        (source_dir() / "configs/train/tiny_cpu.yaml").string(), 8 / ranks,
                                        4 / ranks));
  return p;
}

struct RunOutput {
  std::map<std::string, torch::Tensor> weights;
  std::vector<double> losses;
};

RunOutput train(const fs::path& dir, int ranks) {
  const std::string name = fmt::format("r{}", ranks);
  std::string cmd = fmt::format("{} train --config {} run.root={} run.name={} run.threads=1", vdf_exe(),
                                write_config(dir, ranks).string(), dir.string(), name);
  if (ranks > 1)
    cmd = fmt::format("{} launch --nproc-per-node {} --master-port {} -- {}", vdf_exe(), ranks, free_port(), cmd);
  auto r = run_command("env -u RANK -u WORLD_SIZE -u LOCAL_RANK " + cmd + " 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  if (ranks > 1) CHECK(r.output.find(fmt::format("rank 1 of {}", ranks)) != std::string::npos);
  RunOutput out;
  out.weights = vdf::tensor_io::load_safetensors(dir / name / "checkpoints/step_0000008/model.safetensors");
  for (auto& j : vdf::train::read_metrics(dir / name / "metrics.jsonl"))
    if (j["kind"] == "train") out.losses.push_back(j["loss"].get<double>());
  return out;
}

double max_diff(const RunOutput& a, const RunOutput& b) {
  REQUIRE(a.weights.size() == b.weights.size());
  double d = 0;
  for (const auto& [k, v] : a.weights) {
    REQUIRE(b.weights.count(k));
    d = std::max(d, (v - b.weights.at(k)).abs().max().item<double>());
  }
  return d;
}

}  // namespace

TEST_CASE("vdf train: 2 and 4 ranks through vdf launch match 1 process with the same global batch", "[e2e][ddp]") {
  TempDir dir("vdf-train-ddp");
  const RunOutput one = train(dir.path(), 1);
  REQUIRE(one.losses.size() == 8);
  for (int ranks : {2, 4}) {
    const RunOutput many = train(dir.path(), ranks);
    const double diff = max_diff(one, many);
    INFO(ranks << " ranks: max |w - w_1proc| = " << diff);
    CHECK(diff < kWeightTol);
    REQUIRE(many.losses.size() == one.losses.size());
    for (size_t i = 0; i < one.losses.size(); ++i) CHECK(many.losses[i] == Approx(one.losses[i]).epsilon(1e-4));
  }
  // Not vacuous: training moved the weights (a fresh model differs from the trained one).
  auto init = vdf::tensor_io::load_safetensors(dir / "r1/checkpoints/step_0000004/model.safetensors");
  double moved = 0;
  for (const auto& [k, v] : one.weights) moved = std::max(moved, (v - init.at(k)).abs().max().item<double>());
  CHECK(moved > 1e-3);
}
