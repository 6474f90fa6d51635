// Benchmark (not a test): the pre-flight memory estimate (train/preflight.h) against the measured peak of
// LibTorch's CPU allocator over model construction, optimizer, EMA and 3 training steps
// (train/preflight_measure.h), for small DiT configs; prints the markdown table of docs/distributed.md.
//   build/cuda/tools/vdf_bench_preflight [--steps 3]
// fp32 on CPU, 2 intra-op threads, single process, synthetic latents with one bucket each.
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/config.h"
#include "data/synthetic_dataset.h"
#include "framework/core/log.h"
#include "train/preflight.h"
#include "train/preflight_measure.h"

namespace {

struct BenchCase {
  std::string name;
  std::vector<std::string> overrides;
  int64_t steps = 0;  // 0 = --steps; more where the worst bucket must come up in a longer epoch
};

}  // namespace

int main(int argc, char** argv) {
  int64_t steps = 3;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--steps") == 0) steps = std::atoll(argv[i + 1]);
  torch::set_num_threads(2);
  vdf::log::set_level(vdf::log::Level::warn);
  const std::vector<std::string> base = {"run.device=cpu", "run.seed=3", "data.source=synthetic",
                                         "data.synthetic.size=12", "data.synthetic.text_len=8",
                                         "data.synthetic.text_dim=32", "data.synthetic.pooled_dim=16",
                                         "data.val_samples=0", "model.in_channels=4", "model.text_dim=32",
                                         "model.pooled_dim=16", "model.max_text_len=8", "train.precision=fp32",
                                         "train.warmup_steps=0", "model.preset=''"};
  const std::vector<std::string> h128 = {"model.hidden=128", "model.depth=4", "model.heads=4"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const std::vector<BenchCase> cases = {
      {"hidden 64, depth 2; 4x8x8, batch 4", {"model.hidden=64", "model.depth=2", "model.heads=4",
                                              "data.synthetic.buckets=[4x8x8]", "data.batch_size=4"}},
      {"hidden 128, depth 4; 4x16x16, batch 4", with(h128, {"data.synthetic.buckets=[4x16x16]", "data.batch_size=4"})},
      {"  + 2 blocks checkpointed", with(h128, {"data.synthetic.buckets=[4x16x16]", "data.batch_size=4",
                                                "model.checkpoint_blocks=2"})},
      {"  + all blocks checkpointed", with(h128, {"data.synthetic.buckets=[4x16x16]", "data.batch_size=4",
                                                  "model.checkpoint_blocks=-1"})},
      {"  + all checkpointed, offload (CPU: no-op)", with(h128, {"data.synthetic.buckets=[4x16x16]",
                                                                 "data.batch_size=4", "model.checkpoint_blocks=-1",
                                                                 "model.offload_activations=true"})},
      {"hidden 128, depth 4, no q/k norm; 4x16x16, batch 4",
       with(h128, {"data.synthetic.buckets=[4x16x16]", "data.batch_size=4", "model.qk_norm=false"})},
      {"hidden 128, depth 4, factorized, sin-cos; 8x16x16, batch 2",
       with(h128, {"data.synthetic.buckets=[8x16x16]", "data.batch_size=2", "model.attention=factorized",
                   "model.pos_embed=sincos3d"})},
      {"hidden 256, depth 2, 8 heads; 1x32x32 (image), batch 4",
       {"model.hidden=256", "model.depth=2", "model.heads=8", "data.synthetic.buckets=[1x32x32]", "data.batch_size=4"}},
      {"hidden 128, depth 4; two buckets 1x32x32 b8 / 4x16x16 b2",
       with(h128, {"data.synthetic.buckets=[1x32x32, 4x16x16]", "data.batch_size=2",
                   "data.bucket_batch=[{bucket: 1x32x32, batch_size: 8}]", "data.synthetic.size=16"}),
       5},  // one epoch = 1 + 4 batches: every bucket drawn
  };
  fmt::print("| config | worst bucket | estimate (MB) | measured peak (MB) | estimate / measured |\n|---|---|---|---|---|\n");
  for (const auto& c : cases) {
    const auto cfg = vdf::config::parse_config("", with(base, c.overrides));
    vdf::data::SyntheticLatentDataset ds(cfg.data.synthetic);
    const auto e = vdf::train::estimate_run(cfg.model, cfg.data, cfg.distributed, cfg.train, cfg.run.seed, ds, 1,
                                            torch::Device(torch::kCPU));
    const int64_t measured = vdf::train::measure_training_peak(cfg.to_trainer(), cfg.model, cfg.diffusion,
                                                               torch::Device(torch::kCPU), c.steps > 0 ? c.steps : steps);
    fmt::print("| {} | {} | {:.1f} | {:.1f} | {:.3f} |\n", c.name, e.worst_bucket().load.bucket, e.device_bytes / 1e6,
               measured / 1e6, e.device_bytes / static_cast<double>(measured));
  }
  return 0;
}
