// The training loop of `vdf train`: bucketed batches -> task loss -> backward -> (gradient all-reduce)
// -> NaN/Inf check -> clip -> AdamW with the LR schedule -> EMA, with metrics, validation, periodic
// sampling and atomic checkpoints in the run directory. Deterministic: every random number of step s
// comes from generators seeded by (run.seed, s, rank), the data order from (run.seed, epoch), so a run
// resumed from a checkpoint continues bit-identically (tests/train/test_resume.cpp).
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "data/dataset.h"
#include "train/config.h"
#include "train/adamw.h"
#include "train/bucket_sampler.h"
#include "train/dist_hooks.h"
#include "train/ema.h"
#include "train/run_dir.h"
#include "train/task.h"

namespace vdf::train {

class TensorBoardLog;

struct TrainerOptions {
  std::string command_line;                 // recorded in command.txt
  std::optional<torch::Device> device;      // default: from run.device (auto = cuda if available)
  bool write_run_dir = true;                // false: unit tests of single steps (no files at all)
  int64_t stop_at_step = 0;                 // > 0: return after this step as if the process had died (tests)
};

struct StepResult {
  int64_t step = 0;
  double loss = 0;       // mean over ranks
  double grad_norm = 0;  // before clipping
  double lr = 0;
  bool skipped = false;
  std::string bucket;
  int64_t global_batch = 0;
  int64_t tokens = 0;    // global tokens of the step
  double seconds = 0;
};

// Seed of the generators of step `step` on `rank` (stream distinguishes independent uses).
uint64_t step_seed(int64_t run_seed, int64_t step, int rank, uint64_t stream);
// Per-rank batch size of a bucket from the `data` section.
int64_t bucket_batch_size(const config::DataConfig& data, const std::string& bucket);
// Resolves run.device ("auto" -> cuda when available).
torch::Device resolve_device(const std::string& device);

// Resuming on another world size keeps the run identical only if every bucket's global batch is the same;
// throws vdf::Error naming the buckets that differ (or the world sizes, for checkpoints without them).
void check_elastic_resume(int saved_world, const std::map<std::string, int64_t>& saved_global_batches, int world,
                          const std::map<std::string, int64_t>& global_batches, const std::string& checkpoint);

class Trainer {
 public:
  Trainer(TrainerConfig cfg, std::shared_ptr<TrainTask> task, std::shared_ptr<const data::LatentDataset> dataset,
          DistHooks hooks = {}, TrainerOptions options = {});
  ~Trainer();

  // Resumes if the run directory has a checkpoint (per train.resume), then trains to train.steps.
  void run();

  // Pieces (also used by tests):
  StepResult train_step();  // one step on the next batch
  void resume_from(const fs::path& checkpoint_dir);
  fs::path save(const fs::path& checkpoints_root);
  // Mean held-out loss over train.val_timesteps; per-timestep means in *per_t.
  double validation_loss(std::map<double, double>* per_t = nullptr);

  // Called every train.sample_every steps (rank 0) with the step and an output folder; the CLI sets it
  // (text encoder + sampler + VAE + MP4). The EMA weights are in ema().tensors().
  std::function<void(int64_t step, const fs::path& out_dir)> sample_hook;

  int64_t step() const { return step_; }
  const AdamW& optimizer() const { return *optimizer_; }
  const Ema& ema() const { return *ema_; }
  const BucketBatchSampler& sampler() const { return *sampler_; }
  TrainTask& task() { return *task_; }
  torch::Device device() const { return device_; }
  int64_t skipped_total() const { return skipped_total_; }
  const RunPaths& paths() const { return paths_; }

 private:
  bool use_autocast() const;
  void log_step(const StepResult& r);
  std::vector<std::string> resume_allowed_keys() const;

  TrainerConfig cfg_;
  std::shared_ptr<TrainTask> task_;
  std::shared_ptr<const data::LatentDataset> dataset_;
  DistHooks hooks_;
  TrainerOptions options_;
  torch::Device device_;
  RunPaths paths_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<Ema> ema_;
  std::unique_ptr<BucketBatchSampler> sampler_;
  std::vector<int64_t> val_indices_;
  std::map<std::string, int64_t> global_batches_;  // bucket -> per-rank batch x world size
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<TensorBoardLog> tensorboard_;  // train.tensorboard: mirrors metrics_, adds samples + config
  int64_t step_ = 0;
  int64_t skipped_total_ = 0;
  int64_t consecutive_skips_ = 0;
  int64_t consumed_samples_ = 0;
  double last_lr_ = 0;
};

}  // namespace vdf::train
