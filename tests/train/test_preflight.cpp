// Pre-flight estimate (train/preflight.h): estimate vs the measured peak of real CPU steps, worst-bucket
// choice, strategy arithmetic, the refusal of `vdf train` before step 1 and `--dry-run`, and the model
// costs (DiT vs its module, Wan 2.1 vs diffusers' WanTransformer3DModel).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "app/config.h"
#include "data/synthetic_dataset.h"
#include "framework/models/cost/dit_cost.h"
#include "framework/models/cost/wan_cost.h"
#include "framework/models/dit/dit.h"
#include "tests/test_support.h"
#include "train/preflight.h"
#include "train/preflight_measure.h"

using namespace vdf;
using vdf::testing::TempDir;

namespace {

config::VdfConfig preflight_config(std::vector<std::string> overrides) {
  std::vector<std::string> base = {"run.device=cpu",          "run.seed=3",
                                   "data.source=synthetic",   "data.synthetic.size=12",
                                   "data.synthetic.text_len=8", "data.synthetic.text_dim=32",
                                   "data.synthetic.pooled_dim=16", "data.val_samples=0",
                                   "model.in_channels=4",     "model.text_dim=32",
                                   "model.pooled_dim=16",     "model.max_text_len=8",
                                   "train.precision=fp32",    "train.warmup_steps=0"};
  base.insert(base.end(), overrides.begin(), overrides.end());
  return config::parse_config("", base);
}

train::PreflightEstimate preflight_of(const config::VdfConfig& cfg, int world = 1) {
  data::SyntheticLatentDataset ds(cfg.data.synthetic);
  return train::estimate_run(cfg.model, cfg.data, cfg.distributed, cfg.train, cfg.run.seed, ds, world,
                             torch::Device(torch::kCPU));
}

}  // namespace

// The tolerance: the activation model counts saved tensors op by op (transformer_block.cpp); what it leaves
// out is allocator-visible scratch (attention kernels' buffers, optimizer temporaries) and the small
// per-step tensors. Stated in docs/distributed.md with the measured table (vdf_bench_preflight).
TEST_CASE("preflight: estimate within 15% of the measured CPU peak of 3 training steps", "[unit][train][preflight]") {
  torch::set_num_threads(2);
  struct Case { std::string name; std::vector<std::string> overrides; };
  const std::vector<Case> cases = {
      {"h128 d4, 4x16x16 b4, no ckpt",
       {"model.preset=''", "model.hidden=128", "model.depth=4", "model.heads=4", "data.synthetic.buckets=[4x16x16]",
        "data.batch_size=4"}},
      {"h128 d4, 4x16x16 b4, 2 ckpt",
       {"model.preset=''", "model.hidden=128", "model.depth=4", "model.heads=4", "data.synthetic.buckets=[4x16x16]",
        "data.batch_size=4", "model.checkpoint_blocks=2"}},
      {"h128 d4, 4x16x16 b4, all ckpt",
       {"model.preset=''", "model.hidden=128", "model.depth=4", "model.heads=4", "data.synthetic.buckets=[4x16x16]",
        "data.batch_size=4", "model.checkpoint_blocks=-1"}},
  };
  for (const auto& c : cases) {
    const auto cfg = preflight_config(c.overrides);
    const auto e = preflight_of(cfg);
    const int64_t measured = train::measure_training_peak(cfg.to_trainer(), cfg.model, cfg.diffusion,
                                                          torch::Device(torch::kCPU), 3);
    const double ratio = e.device_bytes / static_cast<double>(measured);
    INFO(c.name << ": estimate " << e.device_bytes / 1e6 << " MB, measured " << measured / 1e6 << " MB, ratio "
                << ratio << "\n" << e.table());
    CHECK(ratio > 0.85);
    CHECK(ratio < 1.15);
  }
}

TEST_CASE("preflight: the worst bucket is the one with the most activation memory that the sampler draws",
          "[unit][train][preflight]") {
  // Both buckets have 64 tokens per sample (patch 1x2x2); 1x16x16 has a per-rank batch of 6, 4x8x8 of 1.
  auto cfg = preflight_config({"data.synthetic.buckets=[1x16x16, 4x8x8]", "data.synthetic.size=12",
                               "data.batch_size=1", "data.bucket_batch=[{bucket: 1x16x16, batch_size: 6}]"});
  auto e = preflight_of(cfg);
  REQUIRE(e.buckets.size() == 2);
  CHECK(e.worst_bucket().load.bucket == "1x16x16");  // 6 x 64 tokens beats 1 x 64 tokens
  CHECK(e.worst_bucket().tokens_per_sample == 64);
  CHECK(e.worst_bucket().tokens_per_step == 6 * 64);
  // With 2 ranks a global batch of 1x16x16 needs 12 samples; only 6 exist: never drawn, 4x8x8 is the worst.
  auto e2 = preflight_of(cfg, 2);
  CHECK_FALSE(e2.buckets[0].load.forms_batch);
  CHECK(e2.worst_bucket().load.bucket == "4x8x8");
  CHECK(e2.worst_bucket().tokens_per_step == 2 * 64);
}

TEST_CASE("preflight: strategies shard state, sequence parallelism splits activations, comm volumes",
          "[unit][train][preflight]") {
  const auto wan = models::wan_cost(models::wan_shape("wan2.1-14b"));
  train::BucketLoad load;
  load.bucket = "21x90x160";
  load.latent_cthw = {16, 21, 90, 160};
  CHECK(wan->tokens(load.latent_cthw) == 75600);
  train::PreflightSetup s;
  s.world_size = 8;
  s.mixed_precision = true;
  s.comm_bf16 = true;
  s.checkpointed_blocks = 40;
  auto est = [&](config::DistStrategy st, int64_t sp) {
    auto t = s;
    t.strategy = st;
    t.sequence_parallel = sp;
    return train::estimate_preflight(*wan, {load}, 512, t);
  };
  const auto ddp = est(config::DistStrategy::ddp, 1), z2 = est(config::DistStrategy::zero2, 1),
             z3 = est(config::DistStrategy::zero3, 1), z3sp = est(config::DistStrategy::zero3, 4);
  const double P = static_cast<double>(wan->parameters());
  CHECK(ddp.comm_bytes == Approx(2 * 7.0 / 8 * P * 2));
  CHECK(z2.comm_bytes == Approx(ddp.comm_bytes));
  CHECK(z3.comm_bytes == Approx(1.5 * ddp.comm_bytes));
  CHECK(z2.device_bytes < ddp.device_bytes);
  CHECK(z3.device_bytes < z2.device_bytes);
  CHECK(z3sp.worst_bucket().tokens_per_rank == 75600 / 4);
  CHECK(z3sp.worst_bucket().activation_bytes < 0.3 * z3.worst_bucket().activation_bytes);
  CHECK(z3sp.comm_bytes > z3.comm_bytes);  // + Ulysses all-to-all
  // 40 heads: sequence parallel 3 does not divide them (nor 8 ranks).
  CHECK_THROWS_WITH(est(config::DistStrategy::zero3, 3), Catch::Contains("sequence_parallel=3"));
}

TEST_CASE("preflight: vdf train refuses a run over train.memory_budget_gb before step 1; --dry-run prints the estimate",
          "[unit][train][preflight]") {
  TempDir tmp("vdf-preflight");
  const std::string exe = vdf::testing::vdf_exe();
  const std::string cfg = (vdf::testing::source_dir() / "configs/train/tiny_cpu.yaml").string();
  const std::string common = " run.root=" + tmp.path().string() + " run.name=p train.steps=2";
  auto refused = vdf::testing::run_command(exe + " train --config " + cfg + common + " train.memory_budget_gb=0.0009765625 2>&1");
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  // tiny_cpu: 1x8x8 at batch 8 and 4x8x8 at batch 2 both have 128 tokens per rank; the per-sample text
  // activations make 1x8x8 the worst.
  CHECK_THAT(refused.output, Catch::Contains("pre-flight: the worst bucket 1x8x8 (per-rank batch 8, 16 tokens/sample)"));
  CHECK_THAT(refused.output, Catch::Contains("but the budget is 1.0 MiB (train.memory_budget_gb)"));
  CHECK_THAT(refused.output, Catch::Contains("model.checkpoint_blocks"));
  CHECK_FALSE(std::filesystem::exists(tmp / "p" / "checkpoints"));

  auto dry = vdf::testing::run_command(exe + " train --config " + cfg + common + " --dry-run --world-size 4 2>&1");
  INFO(dry.output);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.output, Catch::Contains("world size 4, strategy ddp"));
  // 4 ranks x batch 8 = 32 samples per global 1x8x8 batch, but only 19 exist: never drawn.
  CHECK_THAT(dry.output, Catch::Contains("(never a full batch: not drawn)"));
  CHECK_THAT(dry.output, Catch::Contains("per-rank device memory, worst bucket 4x8x8"));
  CHECK_THAT(dry.output, Catch::Contains("gradient all-reduce"));
  CHECK_FALSE(std::filesystem::exists(tmp / "p"));  // nothing written

  auto fits = vdf::testing::run_command(exe + " train --config " + cfg + common + " --dry-run 2>&1");
  CHECK(fits.exit_code == 0);
  CHECK_THAT(fits.output, Catch::Contains(": fits"));
}

TEST_CASE("preflight: the DiT cost counts the module's parameters", "[unit][train][preflight]") {
  for (std::string preset : {"tiny", "s"}) {
    config::DitConfig m;
    m.preset = preset;
    dit::Dit dit(m);
    int64_t total = 0, block = 0;
    for (const auto& p : dit->parameters()) total += p.numel();
    for (const auto& p : dit->blocks[0]->parameters()) block += p.numel();
    const auto cost = models::dit_cost(m);
    CHECK(cost->parameters() == total);
    CHECK(cost->block_parameters() == block);
    CHECK(cost->depth() == m.resolved().depth);
  }
}

TEST_CASE("preflight: Wan 2.1 analytic parameter counts equal diffusers' WanTransformer3DModel", "[parity][train][preflight]") {
  const std::string py = vdf::testing::python();
  if (!vdf::testing::require_or_skip(std::filesystem::exists(py), "reference python (diffusers)")) return;
  TempDir tmp("vdf-wan-params");
  const auto script = tmp / "count.py";
  std::ofstream(script) << "import torch\nfrom diffusers import WanTransformer3DModel\n"
                           "for heads, ffn, layers in [(12, 8960, 30), (40, 13824, 40)]:\n"
                           "    with torch.device('meta'):\n"
                           "        m = WanTransformer3DModel(num_attention_heads=heads, attention_head_dim=128, "
                           "ffn_dim=ffn, num_layers=layers)\n"
                           "    print(sum(p.numel() for p in m.parameters()), "
                           "sum(p.numel() for p in m.blocks[0].parameters()))\n";
  auto r = vdf::testing::run_command(py + " " + script.string() + " 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.output);
  for (std::string name : {"wan2.1-1.3b", "wan2.1-14b"}) {
    int64_t total = 0, block = 0;
    lines >> total >> block;
    const auto cost = models::wan_cost(models::wan_shape(name));
    CHECK(cost->parameters() == total);
    CHECK(cost->block_parameters() == block);
  }
}
