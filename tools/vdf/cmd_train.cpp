// `vdf train --config FILE [key.path=value ...] [--resume | --no-resume | --resume-from CKPT]`: trains the DiT of the config
// on its dataset into the run directory <run.root>/<run.name> (docs/training.md). Auto-resumes when
// the run directory has a checkpoint. The wiring lives in train/ (data parallel, dataset checks,
// periodic sampling); this file only reads the command line.
#include <torch/torch.h>
#include <fmt/format.h>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "tools/vdf/command.h"
#include "train/data_parallel.h"
#include "train/dataset_factory.h"
#include "train/dit_task.h"
#include "train/model_task.h"
#include "train/sampling.h"
#include "train/trainer.h"
#include "train/preflight.h"
#include "framework/distributed/context.h"
#include "framework/distributed/env.h"

namespace {

struct TrainOptions {
  vdf::cli::ConfigArgs config;  // --config, overrides, --resume / --no-resume
  bool dry_run = false;         // print the pre-flight estimate and exit
  int world_size = 1;           // --dry-run --world-size: ranks to plan for
  CLI::Option* world_size_option = nullptr;  // not given: the launch environment's world size
};

// `--dry-run`: the pre-flight estimate (train/preflight.h) without rendezvous, model or training.
void dry_run(const vdf::config::VdfConfig& cfg, const TrainOptions& o) {
  using namespace vdf;
  const distributed::LaunchEnv env = distributed::launch_env();
  const int world = o.world_size_option->count() > 0 ? o.world_size : env.world_size;
  const torch::Device device = distributed::device_for_local_rank(cfg.run.device, env.local_rank);
  auto dataset = train::make_dataset(cfg.data);
  const train::PreflightEstimate e =
      train::estimate_run(cfg.model, cfg.data, cfg.distributed, cfg.train, cfg.run.seed, *dataset, world, device);
  const train::MemoryBudget budget = train::memory_budget(cfg.train, device, env.local_world_size);
  fmt::print("{}\nbudget       {:.2f} GiB per rank ({}): {}\n", e.table(), budget.bytes / (1024.0 * 1024 * 1024),
             budget.source, e.device_bytes <= budget.bytes ? "fits" : "does NOT fit (vdf train would refuse it)");
}

void run(const TrainOptions& o) {
  using namespace vdf;
  config::VdfConfig cfg = config::load_config(o.config.config_path, o.config.all_overrides());
  log::set_level(log::parse_level(config::enum_name(cfg.run.log_level)));
  if (cfg.run.threads > 0) torch::set_num_threads(cfg.run.threads);
  if (o.dry_run) return dry_run(cfg, o);

  auto dp = train::start_data_parallel(cfg.distributed, cfg.run.device);
  cfg.run.name = train::agree_on_run_name(*dp, cfg.run.name);
  const train::TrainerConfig trainer_cfg = cfg.to_trainer();
  train::DistHooks hooks = train::data_parallel_hooks(dp, trainer_cfg.resolved_yaml);

  auto dataset = train::make_dataset(cfg.data);
  const train::DatasetDims dims = train::check_model_fits_dataset(cfg.model, *dataset);
  // Before the model exists: a worst bucket that cannot fit is refused now, not hours into the run.
  // LoRA trains a small adapter set over a frozen base: the estimator counts optimizer state for every
  // parameter, which would refuse runs that fit (a 14B LoRA), so the check is skipped with a warning.
  if (cfg.model.family == config::ModelFamily::wan && cfg.model.lora.rank > 0) {
    VDF_WARN("pre-flight memory check skipped: the estimator does not model LoRA (model.lora.rank={})",
             cfg.model.lora.rank);
  } else {
    train::check_memory(train::estimate_run(cfg.model, cfg.data, cfg.distributed, cfg.train, cfg.run.seed, *dataset,
                                            dp->context().world_size(), dp->context().device()),
                        train::memory_budget(cfg.train, dp->context().device(), dp->context().local_world_size()),
                        cfg.train.memory_check);
  }
  torch::manual_seed(cfg.run.seed);  // model initialization
  auto task = train::make_model_task(cfg.model, cfg.diffusion, dims.latent_shape, dims.text_len);
  train::attach_sequence_parallel(*dp, *task, *dataset);
  train::TrainerOptions options;
  options.command_line = o.config.command_line("vdf train");
  options.device = dp->context().device();  // cuda:<LOCAL_RANK> for one GPU per local rank
  train::Trainer trainer(trainer_cfg, task, dataset, hooks, options);

  if (cfg.train.sample_every > 0 && !cfg.train.sample_prompts.empty()) {
    VDF_CHECK(cfg.model.family == config::ModelFamily::dit, "train.sample_every: periodic sampling is built for "
              "model.family dit only; set train.sample_every=0 for model.family {}", config::enum_name(cfg.model.family));
    VDF_CHECK(!cfg.train.sample_shape.empty(), "train.sample_every is set but train.sample_shape (latent TxHxW) is empty");
    auto pipeline = std::make_shared<train::SamplePipeline>(cfg.to_sampling(), trainer.device());
    train::check_encoders_match(*pipeline, *dataset);
    train::SampleJob job;
    job.prompts = cfg.train.sample_prompts;
    job.sample = cfg.sample;
    job.latent_thw = train::parse_latent_shape(cfg.train.sample_shape);
    job.fps = cfg.train.sample_fps;
    trainer.sample_hook = train::ema_sample_hook(trainer, pipeline, cfg.model, job, cfg.run.seed);
  }
  trainer.run();
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "Train the DiT of a config into <run.root>/<run.name> (auto-resumes)");
  vdf::cli::add_config_args(cmd, opts->config, /*config_required=*/true);
  auto* resume = vdf::cli::add_override_flag(cmd, "--resume", opts->config, "train.resume=always",
                                             "require a checkpoint in the run directory and resume from it");
  auto* no_resume = vdf::cli::add_override_flag(cmd, "--no-resume", opts->config, "train.resume=never",
                                                "refuse to start if the run directory already has a checkpoint");
  resume->excludes(no_resume);
  cmd->add_flag("--dry-run", opts->dry_run,
                "print the pre-flight estimate (memory per rank for the worst bucket, FLOPs, tokens, communication) "
                "and exit without training");
  opts->world_size_option =
      cmd->add_option("--world-size", opts->world_size,
                      "with --dry-run: ranks to plan for, instead of the launch environment's WORLD_SIZE")
          ->check(CLI::PositiveNumber);
  vdf::cli::add_override_option(cmd, "--resume-from", opts->config, "train.resume_from",
                                "resume from this checkpoint (a directory, or a name such as step_0000100 under the "
                                "run's checkpoints) instead of the newest intact one")
      ->excludes(no_resume);
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(train, setup);
