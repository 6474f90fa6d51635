// Activation checkpointing with a chosen number of blocks (model.checkpoint_blocks) and offload of the
// checkpointed block inputs (model.offload_activations): the same gradients as the plain model, and a
// lower measured peak (allocator statistics, framework/core/peak_memory.h) the more blocks are checkpointed.
#include <catch2/catch.hpp>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/core/peak_memory.h"
#include "framework/models/dit/dit.h"
#include "tests/dit/dit_fixtures.h"

using namespace vdf;
using namespace vdf::dit;

namespace {

struct CkptInputs {
  torch::Tensor x, t, text, mask, pooled, weight;
};

CkptInputs ckpt_inputs(int64_t B, int64_t T, int64_t H, int64_t W, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  CkptInputs in;
  in.x = torch::randn({B, 4, T, H, W}, gen);
  in.t = torch::rand({B}, gen);
  in.text = torch::randn({B, 8, 32}, gen);
  in.mask = torch::ones({B, 8}, torch::kBool);
  in.mask.index_put_({B - 1, torch::indexing::Slice(3)}, false);
  in.pooled = torch::randn({B, 16}, gen);
  in.weight = torch::randn({B, 4, T, H, W}, gen);
  return in;
}

config::DitConfig ckpt_config(int64_t depth, int64_t checkpoint_blocks, bool offload) {
  auto cfg = testing::tiny_dit_config();
  cfg.depth = depth;
  cfg.checkpoint_blocks = checkpoint_blocks;
  cfg.offload_activations = offload;
  return cfg;
}

// Gradients of all parameters and of the text input after one forward/backward.
std::map<std::string, torch::Tensor> ckpt_gradients(Dit& m, const CkptInputs& in) {
  auto text = in.text.clone().requires_grad_(true);
  auto out = m->forward(in.x, in.t, text, in.mask, in.pooled);
  (out * in.weight).sum().backward();
  std::map<std::string, torch::Tensor> g;
  for (auto& p : m->named_parameters()) g[p.key()] = p.value().grad().clone();
  g["<text input>"] = text.grad().clone();
  m->zero_grad();
  return g;
}

}  // namespace

TEST_CASE("dit: checkpointing none, some or all blocks, with or without offload, gives the plain gradients",
          "[unit][dit]") {
  const int64_t depth = 4;
  Dit plain(ckpt_config(depth, 0, false));
  testing::randomize_parameters(*plain, 11);
  const auto in = ckpt_inputs(2, 2, 4, 4, 12);
  const auto reference = ckpt_gradients(plain, in);
  struct Case { int64_t blocks; bool offload; int64_t expect_checkpointed; };
  for (const Case c : {Case{1, false, 1}, Case{2, false, 2}, Case{-1, false, 4}, Case{9, false, 4}, Case{2, true, 2},
                       Case{-1, true, 4}}) {
    auto cfg = ckpt_config(depth, c.blocks, c.offload);
    CHECK(cfg.resolved().checkpointed_blocks() == c.expect_checkpointed);
    Dit m(cfg);
    testing::copy_parameters(*plain, *m);
    const auto g = ckpt_gradients(m, in);
    double worst = 0;
    for (const auto& [name, ref] : reference) {
      REQUIRE(g.at(name).defined());
      worst = std::max(worst, (g.at(name) - ref).abs().max().item<double>() / (ref.abs().max().item<double>() + 1e-12));
    }
    INFO("checkpoint_blocks " << c.blocks << " offload " << c.offload << ": worst relative difference " << worst);
    CHECK(worst < 1e-5);  // float32 recompute: same operations, summation order may differ
  }
}

TEST_CASE("dit: more checkpointed blocks measure a lower peak memory on CPU", "[unit][dit]") {
  const int64_t depth = 4;
  Dit plain(ckpt_config(depth, 0, false));
  testing::randomize_parameters(*plain, 3);
  const auto in = ckpt_inputs(2, 4, 16, 16, 4);  // 256 tokens per sample
  std::vector<int64_t> peaks;
  for (int64_t blocks : {0, 2, -1}) {
    Dit m(ckpt_config(depth, blocks, false));
    testing::copy_parameters(*plain, *m);
    int64_t peak = 0;
    {
      PeakMemoryScope scope(torch::kCPU);
      auto out = m->forward(in.x, in.t, in.text, in.mask, in.pooled);
      (out * in.weight).sum().backward();
      peak = scope.peak_bytes();
    }
    m->zero_grad();
    INFO("checkpoint_blocks " << blocks << ": peak " << peak << " bytes");
    CHECK(peak > 0);
    peaks.push_back(peak);
  }
  // Each checkpointed block keeps its input (one hidden-wide tensor) instead of ~30 of them.
  CHECK(peaks[1] < peaks[0] * 0.75);
  CHECK(peaks[2] < peaks[1] * 0.85);
}

TEST_CASE("dit: checkpoint config keys: old spelling, limits and offload without checkpointing", "[unit][dit][config]") {
  CHECK(config::parse_config("model:\n  grad_checkpointing: true\n").model.resolved().checkpointed_blocks() == 2);
  CHECK(config::parse_config("model:\n  checkpoint_blocks: -1\n").model.resolved().checkpointed_blocks() == 2);
  CHECK(config::parse_config("model:\n  checkpoint_blocks: 1\n").model.resolved().checkpointed_blocks() == 1);
  CHECK(config::parse_config("").model.resolved().checkpointed_blocks() == 0);
  CHECK_THROWS_WITH(config::parse_config("model:\n  offload_activations: true\n"),
                    Catch::Contains("model.offload_activations"));
  CHECK_THROWS_WITH(config::parse_config("model:\n  checkpoint_blocks: -2\n"), Catch::Contains("model.checkpoint_blocks"));
  CHECK_THROWS_WITH(config::parse_config("model:\n  checkpoint_blocks: 1\n  grad_checkpointing: true\n"),
                    Catch::Contains("model.grad_checkpointing"));
}
