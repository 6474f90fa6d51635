// Sharded data parallel in one process (world size 1: every collective is a copy), the optimizer-state
// resharding of checkpoints, and checkpoint integrity (hash manifest, fallback, explicit choice).
// The multi-process equivalence, elastic-resume and fault tests are in test_train_sharded.cpp.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <fstream>

#include "framework/core/atomic_file.h"
#include "framework/distributed/context.h"
#include "framework/distributed/sharded.h"
#include "tests/distributed/sharded_check.h"
#include "tests/test_support.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

using namespace vdf::testing;

TEST_CASE("piece names round-trip and reject plain names", "[unit][sharded]") {
  std::string p;
  int64_t b = -1, e = -1;
  CHECK(vdf::distributed::piece_name("blocks.0.attn.qkv.weight", 3, 17) == "blocks.0.attn.qkv.weight@3:17");
  REQUIRE(vdf::distributed::parse_piece_name("blocks.0.attn.qkv.weight@3:17", &p, &b, &e));
  CHECK(p == "blocks.0.attn.qkv.weight");
  CHECK(b == 3);
  CHECK(e == 17);
  CHECK_FALSE(vdf::distributed::parse_piece_name("blocks.0.attn.qkv.weight", &p, &b, &e));
  CHECK_FALSE(vdf::distributed::parse_piece_name("x@a:3", &p, &b, &e));
}

TEST_CASE("zero2 and zero3 on one rank train a tiny DiT exactly like plain AdamW; zero3 frees blocks", "[unit][sharded]") {
  torch::set_num_threads(1);
  for (auto strategy : {vdf::config::DistStrategy::zero2, vdf::config::DistStrategy::zero3}) {
    INFO(vdf::config::enum_name(strategy));
    const ShardedCheck r = sharded_vs_plain(strategy, torch::kCPU);
    INFO("max |w - w_plain| = " << r.max_diff);
    CHECK(r.max_diff == 0.0);  // the same element-wise operations on the same values
    CHECK(r.moved > 1e-4);
    if (strategy == vdf::config::DistStrategy::zero3) {
      // World size 1: gathered = master size, so resident 2x total when all is gathered. Both blocks of
      // the tiny DiT are freed after forward and again after backward.
      CHECK(r.resident_after_forward < 2 * r.total - 1000);
      CHECK(r.resident_after_backward == r.resident_after_forward);
    } else {
      CHECK(r.resident_after_forward >= 2 * r.total);
    }
  }
}

TEST_CASE("optimizer state saved by 3 ranks reshards onto 2 ranks and onto replicated", "[unit][sharded][checkpoint]") {
  // A parameter of 10 elements and one of 3, flat padded 13 -> 15, 5 elements per rank of 3.
  vdf::train::TensorMap model{{"a", torch::zeros({2, 5})}, {"b", torch::zeros({3})}};
  auto a = torch::arange(10, torch::kFloat32), b = torch::arange(100, 103, torch::kFloat32);
  vdf::train::TensorMap saved{
      {"exp_avg.a@0:5", a.narrow(0, 0, 5)},   {"exp_avg.a@5:10", a.narrow(0, 5, 5)},
      {"exp_avg.b@0:3", b},                   {"exp_avg_sq.a@0:5", a.narrow(0, 0, 5) * 2},
      {"exp_avg_sq.a@5:10", a.narrow(0, 5, 5) * 2}, {"exp_avg_sq.b@0:3", b * 2}};
  auto whole = vdf::train::reshard_optimizer_state(saved, model, {"a", "b"});
  CHECK(torch::equal(whole.at("exp_avg.a"), a.view({2, 5})));
  CHECK(torch::equal(whole.at("exp_avg_sq.b"), b * 2));
  // Two ranks: flat 13 -> 14, 7 per rank: rank 0 = a[0:7], rank 1 = a[7:10] + b[0:3].
  auto r1 = vdf::train::reshard_optimizer_state(saved, model, {"a@7:10", "b@0:3"});
  CHECK(torch::equal(r1.at("exp_avg.a@7:10"), a.narrow(0, 7, 3)));
  CHECK(torch::equal(r1.at("exp_avg_sq.b@0:3"), b * 2));
  // A missing shard is an error naming the parameter.
  saved.erase("exp_avg.a@5:10");
  CHECK_THROWS_WITH(vdf::train::reshard_optimizer_state(saved, model, {"a"}),
                    Catch::Contains("optimizer state of 'exp_avg.a' covers 5 of its 10 elements"));
}

namespace {

vdf::train::CheckpointState small_state(int64_t step) {
  vdf::train::CheckpointState s;
  s.step = step;
  s.config_yaml = "x: 1\n";
  s.model = {{"w", torch::full({64}, static_cast<float>(step))}};
  s.ema = s.model;
  s.optimizer = {{"exp_avg.w", torch::zeros({64})}, {"exp_avg_sq.w", torch::zeros({64})}};
  s.global_batches = {{"1x8x8", 8}};
  return s;
}

void flip_byte(const fs::path& f, int64_t at) {
  std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(at);
  char c;
  io.read(&c, 1);
  c ^= 0x20;
  io.seekp(at);
  io.write(&c, 1);
}

}  // namespace

TEST_CASE("checkpoint manifest: truncation and silent corruption are detected, the newest intact one is used",
          "[unit][checkpoint]") {
  TempDir dir("vdf-ckpt-integrity");
  const fs::path root = dir / "checkpoints";
  vdf::train::save_checkpoint(root, small_state(2), 5);
  vdf::train::save_checkpoint(root, small_state(4), 5);
  REQUIRE(fs::exists(root / "step_0000004/manifest.json"));
  CHECK(vdf::train::verify_checkpoint(root / "step_0000004").empty());
  CHECK(*vdf::train::choose_resume_checkpoint(root, "") == root / "step_0000004");

  SECTION("truncated model.safetensors") {
    const fs::path f = root / "step_0000004/model.safetensors";
    fs::resize_file(f, fs::file_size(f) - 10);
    CHECK_THAT(vdf::train::verify_checkpoint(root / "step_0000004"),
               Catch::Contains("model.safetensors: ") && Catch::Contains("(truncated)"));
    CHECK(*vdf::train::choose_resume_checkpoint(root, "") == root / "step_0000002");
  }
  SECTION("one flipped byte in the tensor data of optimizer.safetensors") {
    const fs::path f = root / "step_0000004/optimizer.safetensors";
    flip_byte(f, static_cast<int64_t>(fs::file_size(f)) - 7);
    CHECK(vdf::train::verify_checkpoint(root / "step_0000004") ==
          "optimizer.safetensors: SHA-256 differs from the manifest (corrupted)");
    CHECK(*vdf::train::choose_resume_checkpoint(root, "") == root / "step_0000002");
    // Naming the damaged one explicitly is an error; naming the older one works (by name or path).
    CHECK_THROWS_WITH(vdf::train::choose_resume_checkpoint(root, "step_0000004"),
                      Catch::Contains("is damaged: optimizer.safetensors"));
    CHECK(*vdf::train::choose_resume_checkpoint(root, "step_0000002") == root / "step_0000002");
    CHECK(*vdf::train::choose_resume_checkpoint(root, (root / "step_0000002").string()) == root / "step_0000002");
  }
  SECTION("a deleted file, and every checkpoint damaged") {
    fs::remove(root / "step_0000004/ema.safetensors");
    CHECK(vdf::train::verify_checkpoint(root / "step_0000004") == "ema.safetensors: missing");
    fs::resize_file(root / "step_0000002/rng.safetensors", 3);
    CHECK_THROWS_WITH(vdf::train::choose_resume_checkpoint(root, ""), Catch::Contains("every checkpoint under"));
  }
  CHECK_THROWS_WITH(vdf::train::choose_resume_checkpoint(root, "step_0000009"), Catch::Contains("no such checkpoint"));
}

TEST_CASE("elastic resume accepts another world size only with the same global batches", "[unit][checkpoint]") {
  const std::map<std::string, int64_t> g{{"1x8x8", 8}, {"4x8x8", 4}};
  CHECK_NOTHROW(vdf::train::check_elastic_resume(1, g, 4, g, "ckpt"));
  CHECK_THROWS_WITH(vdf::train::check_elastic_resume(1, g, 2, {{"1x8x8", 8}, {"4x8x8", 8}}, "ckpt"),
                    Catch::Contains("bucket 4x8x8: 4 before, 8 now (2 ranks)"));
  CHECK_THROWS_WITH(vdf::train::check_elastic_resume(2, {}, 4, g, "ckpt"), Catch::Contains("predates elastic resume"));
  CHECK_NOTHROW(vdf::train::check_elastic_resume(2, {}, 2, g, "ckpt"));
}
