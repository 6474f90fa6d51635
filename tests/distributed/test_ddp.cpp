// Data parallel on CPU with Gloo: real multi-process jobs started through `vdf launch`.
// Equivalence tolerance: the averaged gradient differs from the single-process one only by float32
// summation order (~1e-7 relative), amplified by a few Adam steps; weights must agree within 2e-5 absolute.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/distributed/consistency.h"
#include "framework/distributed/context.h"
#include "framework/distributed/grad_sync.h"
#include "tests/distributed/ddp_harness.h"
#include "tests/distributed/toy_train.h"

using namespace vdf::testing;
using vdf::distributed::Context;

namespace {
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

ToyResult reference(int steps = 6) {
  ToyOptions o;
  o.steps = steps;
  return toy_train(Context::single(), o);
}

CommandResult launch(int nproc, const fs::path& out, const std::string& extra_env = "",
                     const std::string& launch_args = "") {
  const std::string cmd = worker_env(out, extra_env) + vdf_exe() + " launch --nproc-per-node " +
                          std::to_string(nproc) + " --master-port " + std::to_string(free_port()) + " " +
                          launch_args + " -- " + worker_command();
  return run_command(cmd);
}
}  // namespace

// Not run by itself: the body of every rank of the multi-process tests below.
TEST_CASE("ddp worker: one rank of a job started by vdf launch", "[.][ddp_worker]") {
  const char* out = std::getenv("VDF_TEST_DDP_OUT");
  if (out == nullptr) {  // selected by a broad filter outside a launched job: nothing to do
    SUCCEED("not inside a launched job (VDF_TEST_DDP_OUT unset)");
    return;
  }
  vdf::config::DistributedConfig cfg;
  cfg.timeout_s = env_int("VDF_TEST_DDP_TIMEOUT", 60);
  auto ctx = Context::init(cfg, "cpu");
  ToyOptions o;
  o.steps = env_int("VDF_TEST_DDP_STEPS", 6);
  o.die_rank = env_int("VDF_TEST_DDP_DIE_RANK", -1);
  o.hang_rank = env_int("VDF_TEST_DDP_HANG_RANK", -1);
  o.die_step = env_int("VDF_TEST_DDP_DIE_STEP", -1);
  o.step_sleep_s = env_int("VDF_TEST_DDP_STEP_MS", 0) / 1000.0;
  o.perturb = env_int("VDF_TEST_DDP_PERTURB", 0) != 0;
  if (env_int("VDF_TEST_DDP_MISMATCH", 0) && ctx->rank() == 1) o.config_text = "toy: 2";
  auto r = toy_train(ctx, o);
  if (ctx->is_main()) {
    auto w = r.weights.contiguous();
    vdf::write_file_atomic(fs::path(out) / "weights.bin",
                           std::string(static_cast<const char*>(w.data_ptr()), w.nbytes()));
    std::ostringstream losses;
    for (double l : r.losses) losses << fmt::format("{:.17g}\n", l);
    vdf::write_file_atomic(fs::path(out) / "losses.txt", losses.str());
    vdf::write_file_atomic(fs::path(out) / "stats.txt",
                           fmt::format("{} {}\n", r.buckets, r.launched_in_backward));
  }
}

TEST_CASE("gradient buckets: deterministic, reverse order, size-bounded", "[unit]") {
  torch::manual_seed(0);
  auto a = torch::randn({100}, torch::requires_grad());     // 400 B
  auto b = torch::randn({50}, torch::requires_grad());      // 200 B
  auto c = torch::randn({300}, torch::requires_grad());     // 1200 B (over the cap: a bucket of its own)
  auto d = torch::randn({10}, torch::requires_grad());      // 40 B
  auto frozen = torch::randn({10});                         // no grad: not synchronized
  const double mb = 640.0 / (1024 * 1024);
  vdf::distributed::GradientSynchronizer s1(Context::single(), {a, b, frozen, c, d}, mb);
  vdf::distributed::GradientSynchronizer s2(Context::single(), {a, b, frozen, c, d}, mb);
  // params without `frozen`: a=0 b=1 c=2 d=3; reverse: d, c | b, a
  CHECK(s1.buckets() == std::vector<std::vector<int>>{{3}, {2}, {1, 0}});
  CHECK(s1.layout_hash() == s2.layout_hash());
  // Single process: finish() leaves gradients untouched.
  (a.sum() * 2).backward();
  s1.finish();
  CHECK(torch::allclose(a.grad(), torch::full({100}, 2.0)));
}

TEST_CASE("batch_slice splits a global batch into equal contiguous rank slices", "[unit]") {
  using vdf::distributed::batch_slice;
  CHECK(batch_slice(16, 0, 4) == std::pair<int64_t, int64_t>{0, 4});
  CHECK(batch_slice(16, 3, 4) == std::pair<int64_t, int64_t>{12, 16});
  CHECK_THROWS_WITH(batch_slice(10, 0, 4), Catch::Contains("not divisible by the world size 4"));
}

TEST_CASE("2 ranks through vdf launch train to the same weights as 1 process", "[e2e]") {
  TempDir dir("vdf-ddp2");
  auto r = launch(2, dir.path());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("[rank 1]") != std::string::npos);  // the launcher prefixes rank output
  auto got = read_worker_output(dir.path());
  auto ref = reference();
  REQUIRE(got.weights.numel() == ref.weights.numel());
  const double diff = (got.weights - ref.weights).abs().max().item<double>();
  INFO("max |w_2ranks - w_1proc| = " << diff);
  CHECK(diff < vdf::testing::kDdpWeightTolerance);
  REQUIRE(got.losses.size() == ref.losses.size());
  for (size_t i = 0; i < ref.losses.size(); ++i) CHECK(got.losses[i] == Approx(ref.losses[i]).epsilon(1e-5));
  // Overlap: with ~1 KiB buckets, some all-reduces start inside backward.
  CHECK(got.buckets >= 3);
  CHECK(got.launched_in_backward > 0);
  // Training moved the weights at all (the comparison is not vacuous).
  torch::manual_seed(7);
  CHECK((got.weights - reference(0).weights).abs().max().item<double>() > 1e-3);
}

TEST_CASE("4 ranks train to the same weights as 1 process; broadcast fixes diverged init", "[e2e]") {
  TempDir dir("vdf-ddp4");
  auto r = launch(4, dir.path(), "VDF_TEST_DDP_PERTURB=1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto got = read_worker_output(dir.path());
  auto ref = reference();
  const double diff = (got.weights - ref.weights).abs().max().item<double>();
  INFO("max |w_4ranks - w_1proc| = " << diff);
  CHECK(diff < vdf::testing::kDdpWeightTolerance);
}

TEST_CASE("a rank killed mid-run ends the job with an error naming it", "[e2e]") {
  TempDir dir("vdf-ddp-kill");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = launch(2, dir.path(),
                  "VDF_TEST_DDP_STEPS=50 VDF_TEST_DDP_DIE_RANK=1 VDF_TEST_DDP_DIE_STEP=3 VDF_TEST_DDP_STEP_MS=50 "
                  "VDF_TEST_DDP_TIMEOUT=20",
                  "--grace-s 3");
  const double secs = seconds_since(t0);
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("rank 1 (local rank 1") != std::string::npos);
  CHECK(r.output.find("killed by signal 9 (SIGKILL)") != std::string::npos);
  CHECK(secs < 20);
  CHECK_FALSE(fs::exists(dir / "weights.bin"));
}

TEST_CASE("a hung rank ends the job within the timeout with an error naming it", "[e2e]") {
  TempDir dir("vdf-ddp-hang");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = launch(2, dir.path(),
                  "VDF_TEST_DDP_STEPS=50 VDF_TEST_DDP_HANG_RANK=1 VDF_TEST_DDP_DIE_STEP=3 VDF_TEST_DDP_TIMEOUT=3",
                  "--grace-s 2");
  const double secs = seconds_since(t0);
  INFO(r.output);
  CHECK(r.exit_code != 0);
  // Rank 0's collective times out and names the rank that stopped making progress.
  CHECK(r.output.find("rank 0 of 2: collective all_reduce failed") != std::string::npos);
  CHECK(r.output.find("fell behind: rank 1 (last reached step 3)") != std::string::npos);
  CHECK(r.output.find("vdf launch: rank 0") != std::string::npos);
  CHECK(secs < 3 + 2 + 15);
}

TEST_CASE("ranks with different configs are stopped at start naming the rank", "[e2e]") {
  TempDir dir("vdf-ddp-mismatch");
  auto r = launch(2, dir.path(), "VDF_TEST_DDP_MISMATCH=1 VDF_TEST_DDP_TIMEOUT=20", "--grace-s 2");
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("rank 1 has a different resolved config than rank 0") != std::string::npos);
}

TEST_CASE("vdf launch reports a program that cannot start", "[e2e]") {
  auto r = run_command(vdf_exe() + " launch --nproc-per-node 2 --master-port " + std::to_string(free_port()) +
                       " -- /nonexistent/program");
  INFO(r.output);
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("cannot execute '/nonexistent/program'") != std::string::npos);
  CHECK(r.output.find("exited with code 127") != std::string::npos);
}
