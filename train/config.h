// Config section `train`: the optimization loop of `vdf train` (train/). Defaults are for a small
// single-GPU run; configs/train/tiny_cpu.yaml shrinks everything for tests. See docs/training.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/config/data.h"
#include "framework/config/binding.h"
#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/run.h"
#include "framework/config/schema/text_encoder.h"
#include "framework/config/schema/vae.h"

namespace vdf::config {

enum class LrSchedule { constant, cosine };
VDF_CONFIG_ENUM(LrSchedule, {LrSchedule::constant, "constant"}, {LrSchedule::cosine, "cosine"})
enum class Precision { automatic, fp32, bf16 };
VDF_CONFIG_ENUM(Precision, {Precision::automatic, "auto"}, {Precision::fp32, "fp32"}, {Precision::bf16, "bf16"})
enum class MemoryCheck { refuse, warn, off };
VDF_CONFIG_ENUM(MemoryCheck, {MemoryCheck::refuse, "refuse"}, {MemoryCheck::warn, "warn"}, {MemoryCheck::off, "off"})
enum class ResumeMode { automatic, never, always };
VDF_CONFIG_ENUM(ResumeMode, {ResumeMode::automatic, "auto"}, {ResumeMode::never, "never"},
                {ResumeMode::always, "always"})

struct TrainConfig {
  int64_t steps = 1000;              // optimizer steps of the run (skipped NaN steps count as steps)
  // AdamW (decoupled weight decay, PyTorch semantics)
  double lr = 1e-4;                  // peak learning rate
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;         // applied only to weight matrices (dim >= 2, not matching no_decay)
  std::vector<std::string> no_decay{"norm", "embedding", "pos_embed", "bias"};  // name substrings never decayed
  // learning-rate schedule: linear warmup from 0, then constant or cosine down to min_lr_ratio * lr
  LrSchedule lr_schedule = LrSchedule::cosine;
  int64_t warmup_steps = 100;
  double min_lr_ratio = 0.0;
  double grad_clip = 1.0;            // max global gradient L2 norm; 0 = no clipping
  // EMA of the weights (used for sampling by default)
  double ema_decay = 0.9999;
  int64_t ema_start = 0;             // before this step the EMA just copies the weights
  // numerics
  Precision precision = Precision::automatic;  // auto: bf16 autocast on CUDA, fp32 on CPU
  int64_t max_consecutive_skips = 20;  // abort after this many NaN/Inf steps in a row
  // run directory output
  int64_t log_every = 1;             // metrics.jsonl line every N steps
  int64_t ckpt_every = 500;          // checkpoint every N steps (and at the last step); 0 = only last
  int64_t keep_last = 3;             // keep this many checkpoints
  ResumeMode resume = ResumeMode::automatic;  // auto: resume when the run dir has a checkpoint
  std::string resume_from;           // a checkpoint directory (or name under <run>/checkpoints) to resume from
  std::vector<std::string> resume_allow_changes{
      "train.steps", "train.log_every", "train.ckpt_every", "train.keep_last", "train.resume", "train.resume_from",
      "train.val_every", "train.sample_every", "train.sample_prompts", "train.sample_shape", "train.sample_fps", "train.max_consecutive_skips",
      "train.tensorboard",
      "train.memory_check", "train.memory_budget_gb", "model.checkpoint_blocks", "model.grad_checkpointing",
      "model.offload_activations",
      "run.log_level", "run.device", "run.threads",
      // whole sections that never change a training step (they configure other commands)
      "eval", "sample", "synthetic", "ingest", "video", "train.resume_allow_changes"};  // keys that may differ from the run's config on resume
  // held-out validation loss at fixed timesteps, fixed samples, fixed seed
  int64_t val_every = 0;             // 0 = off
  std::vector<double> val_timesteps{0.1, 0.3, 0.5, 0.7, 0.9};
  int64_t val_seed = 1234;
  // periodic sampling of fixed prompts (MP4 when video I/O is built); settings from section `sample`
  int64_t sample_every = 0;          // 0 = off
  std::vector<std::string> sample_prompts;
  std::string sample_shape;          // latent TxHxW of periodic and `vdf sample` clips, e.g. "4x8x8"
  double sample_fps = 8.0;           // frame rate of written MP4s
  // TensorBoard event file in <run>/tensorboard (framework/tensorboard/, docs/experiments.md)
  bool tensorboard = true;
  // pre-flight memory check (train/preflight.h): the estimate for the worst bucket against the memory
  // a rank may use (CUDA: free device memory; CPU: available RAM shared by the ranks of the node)
  MemoryCheck memory_check = MemoryCheck::refuse;
  double memory_budget_gb = 0;       // > 0: use this many GiB per rank instead of what the system reports

  template <class V>
  void visit(V& v) {
    v("steps", steps, "optimizer steps of the run (skipped NaN/Inf steps count)");
    v("lr", lr, "peak learning rate (AdamW)");
    v("beta1", beta1, "AdamW beta1");
    v("beta2", beta2, "AdamW beta2");
    v("eps", eps, "AdamW epsilon");
    v("weight_decay", weight_decay, "decoupled weight decay, applied to weight matrices only");
    v("no_decay", no_decay, "parameter-name substrings that never get weight decay (1-D params never do)");
    v("lr_schedule", lr_schedule, "after linear warmup: constant or cosine decay");
    v("warmup_steps", warmup_steps, "linear warmup steps from lr 0 to lr");
    v("min_lr_ratio", min_lr_ratio, "cosine floor as a fraction of lr");
    v("grad_clip", grad_clip, "max global gradient L2 norm (0 = off)");
    v("ema_decay", ema_decay, "EMA decay of the weights");
    v("ema_start", ema_start, "step from which the EMA averages (before: copies the weights)");
    v("precision", precision, "auto: bf16 on CUDA, fp32 on CPU; bf16 = autocast with fp32 master weights");
    v("max_consecutive_skips", max_consecutive_skips, "abort after this many NaN/Inf steps in a row");
    v("log_every", log_every, "write a metrics.jsonl line every N steps");
    v("ckpt_every", ckpt_every, "checkpoint every N steps and at the last step (0 = last only)");
    v("keep_last", keep_last, "number of checkpoints kept");
    v("resume", resume, "auto: when the run directory has a checkpoint; always: error when it has none");
    v("resume_from", resume_from, "resume from this checkpoint (path, or name such as step_0000100) instead of the newest intact one");
    v("resume_allow_changes", resume_allow_changes, "config keys that may differ from the run's on resume");
    v("val_every", val_every, "held-out validation loss every N steps (0 = off)");
    v("val_timesteps", val_timesteps, "timesteps in [0,1] at which validation loss is measured");
    v("val_seed", val_seed, "seed of the validation noise");
    v("sample_every", sample_every, "sample sample_prompts every N steps (0 = off)");
    v("sample_prompts", sample_prompts, "prompts sampled periodically during training");
    v("sample_shape", sample_shape, "latent TxHxW of sampled clips (periodic sampling and vdf sample)");
    v("sample_fps", sample_fps, "frame rate of written MP4 files");
    v("tensorboard", tensorboard, "write a TensorBoard event file to <run>/tensorboard (metrics, samples, config)");
    v("memory_check", memory_check,
      "pre-flight: refuse (or warn about) a run whose worst bucket's estimated memory exceeds the budget");
    v("memory_budget_gb", memory_budget_gb,
      "per-rank memory budget in GiB for the pre-flight check; 0 = free CUDA memory / available RAM per local rank");
  }
  void validate(const Check& c) const {
    c.require(steps >= 1, "steps", steps, ">= 1");
    c.require(lr > 0, "lr", lr, "> 0");
    c.require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "in [0, 1)");
    c.require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "in [0, 1)");
    c.require(eps > 0, "eps", eps, "> 0");
    c.require(weight_decay >= 0, "weight_decay", weight_decay, ">= 0");
    c.require(warmup_steps >= 0, "warmup_steps", warmup_steps, ">= 0");
    c.require(min_lr_ratio >= 0 && min_lr_ratio <= 1, "min_lr_ratio", min_lr_ratio, "in [0, 1]");
    c.require(grad_clip >= 0, "grad_clip", grad_clip, ">= 0");
    c.require(ema_decay >= 0 && ema_decay <= 1, "ema_decay", ema_decay, "in [0, 1]");
    c.require(ema_start >= 0, "ema_start", ema_start, ">= 0");
    c.require(max_consecutive_skips >= 1, "max_consecutive_skips", max_consecutive_skips, ">= 1");
    c.require(log_every >= 1, "log_every", log_every, ">= 1");
    c.require(ckpt_every >= 0, "ckpt_every", ckpt_every, ">= 0");
    c.require(keep_last >= 1, "keep_last", keep_last, ">= 1");
    c.require(val_every >= 0, "val_every", val_every, ">= 0");
    for (double t : val_timesteps) c.require(t >= 0 && t <= 1, "val_timesteps", val_timesteps, "values in [0, 1]");
    c.require(sample_every >= 0, "sample_every", sample_every, ">= 0");
    c.require(sample_fps > 0, "sample_fps", sample_fps, "> 0");
    c.require(memory_budget_gb >= 0, "memory_budget_gb", memory_budget_gb, ">= 0 (0 = what the system reports)");
  }
};

}  // namespace vdf::config

namespace vdf::train {

// The sections the trainer reads, and the resolved YAML of the whole config (written to config.yaml,
// compared on resume). The program's root config converts to it (app/config.h).
struct TrainerConfig {
  config::RunConfig run;
  config::DataConfig data;
  config::TrainConfig train;
  std::string resolved_yaml;
};

// The sections prompt sampling reads (train/sampling.h): which text encoder and VAE, and the process.
struct SamplingConfig {
  config::TextEncoderConfig text_encoder;
  config::VaeConfig vae;
  config::DiffusionConfig diffusion;
};

}  // namespace vdf::train
