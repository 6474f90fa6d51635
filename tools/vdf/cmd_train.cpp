// `vdf train --config FILE [key.path=value ...] [--resume | --no-resume]`: trains the DiT of the config
// on its dataset into the run directory <run.root>/<run.name> (docs/training.md). Auto-resumes when
// the run directory has a checkpoint.
#include <torch/torch.h>

#include "framework/config/vdf_config.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/distributed/consistency.h"
#include "framework/distributed/data_parallel.h"
#include "tools/vdf/command.h"
#include "framework/models/text/text_encoder.h"
#include "framework/models/vae/vae.h"
#include "train/dataset_factory.h"
#ifdef VDF_WITH_HDF5
#include "data/h5/shard_latent_dataset.h"
#endif
#include "train/dit_task.h"
#include "train/sampling.h"
#include "framework/tensor_io/weights.h"
#include "train/trainer.h"

namespace {

struct TrainOptions {
  vdf::cli::ConfigArgs config;
  bool resume = false;
  bool no_resume = false;
};

std::string quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t'\"$\\") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void run(const TrainOptions& o) {
  using namespace vdf;
  std::vector<std::string> overrides = o.config.overrides;
  if (o.resume) overrides.push_back("train.resume=always");
  if (o.no_resume) overrides.push_back("train.resume=never");
  VDF_CHECK(!(o.resume && o.no_resume), "--resume and --no-resume exclude each other");
  config::VdfConfig cfg = config::load_config(o.config.config_path, overrides);
  log::set_level(log::parse_level(cfg.run.log_level));
  if (cfg.run.threads > 0) torch::set_num_threads(cfg.run.threads);

  std::string command = "vdf train --config " + quote(o.config.config_path);
  for (const auto& ov : o.config.overrides) command += " " + quote(ov);
  if (o.resume) command += " --resume";
  if (o.no_resume) command += " --no-resume";

  // Data parallel: rendezvous from the launch environment (vdf launch, SLURM, torchrun-style variables);
  // a single process when WORLD_SIZE is unset or 1. The trainer sees it only through DistHooks.
  auto dp = std::make_shared<distributed::DataParallel>(cfg.distributed, cfg.run.device);
  distributed::Context& ctx = dp->context();
  log::set_rank(ctx.rank(), ctx.world_size());
  // Rank 0 decides the run directory (same name by construction today; kept agreed through the store so a
  // name derived from per-process state, e.g. a timestamp, can never split a job over two directories).
  if (ctx.distributed()) cfg.run.name = distributed::agree_on_string(ctx, "run.name", cfg.run.name);
  const std::string resolved_yaml = config::to_yaml(cfg);
  train::DistHooks hooks;
  hooks.rank = ctx.rank();
  hooks.world_size = ctx.world_size();
  if (ctx.distributed()) {
    VDF_INFO("data parallel: rank {} of {} ({} backend, device {})", ctx.rank(), ctx.world_size(), ctx.backend(),
             ctx.device().str());
    // First call: consistency check across ranks, parameter broadcast, gradient hooks; later calls (after
    // a resume loaded weights on every rank) only re-broadcast.
    hooks.broadcast_parameters = [dp, resolved_yaml](torch::nn::Module& m) {
      if (!dp->synchronizer()) {
        dp->attach(m, resolved_yaml);
      } else {
        dp->synchronizer()->broadcast_parameters(m.buffers());
      }
    };
    hooks.after_backward = [dp] { dp->after_backward(); };
    hooks.reduce_sum = [dp](double v) { return dp->context().sum(v); };
    hooks.reduce_max = [dp](double v) { return dp->context().max(v); };
    hooks.barrier = [dp] { dp->context().barrier(); };
  }
  auto dataset = train::make_dataset(cfg);
  std::vector<int64_t> shape;
  int64_t text_len = 0;
  if (dataset->size() > 0) {
    data::LatentSample s = dataset->get(0);
    shape = s.latents.sizes().vec();
    text_len = s.text.size(0);
    // The model's input widths must equal what the dataset holds; say which keys disagree.
    const auto& m = cfg.model;
    VDF_CHECK(s.latents.size(0) == m.in_channels, "model.in_channels={} but the dataset ({}) has {}-channel latents",
              m.in_channels, dataset->describe(), s.latents.size(0));
    VDF_CHECK(s.text.size(1) == m.text_dim, "model.text_dim={} but the dataset ({}) has {}-wide text embeddings",
              m.text_dim, dataset->describe(), s.text.size(1));
    VDF_CHECK(m.pooled_dim == 0 || s.pooled.size(0) == m.pooled_dim,
              "model.pooled_dim={} but the dataset ({}) has {}-wide pooled embeddings", m.pooled_dim,
              dataset->describe(), s.pooled.size(0));
  }
  torch::manual_seed(cfg.run.seed);  // model initialization
  auto task = std::make_shared<train::DitTask>(cfg, shape, text_len);
  train::TrainerOptions options;
  options.command_line = command;
  options.device = ctx.device();  // cuda:<LOCAL_RANK> for one GPU per local rank
  train::Trainer trainer(cfg, task, dataset, hooks, options);

  std::shared_ptr<train::SamplePipeline> pipeline;
  if (cfg.train.sample_every > 0 && !cfg.train.sample_prompts.empty()) {
    VDF_CHECK(!cfg.train.sample_shape.empty(), "train.sample_every is set but train.sample_shape (latent TxHxW) is empty");
    pipeline = std::make_shared<train::SamplePipeline>(cfg, trainer.device());
#ifdef VDF_WITH_HDF5
    // Samples are decoded with vae.* and conditioned with text_encoder.*: they must be the models the
    // shards were encoded with, or the periodic samples are noise that looks like a training failure.
    if (auto* shards = dynamic_cast<const data::ShardLatentDataset*>(dataset.get())) {
      const auto& h = shards->shards().header();
      const auto& vi = pipeline->vae().info();
      VDF_CHECK(vi.weights_sha256 == h.vae.weights_sha256 && vi.scale == h.vae.scale,
                "vae.* builds VAE '{}' (weights {}, scale {}) but data.shards='{}' was encoded with '{}' (weights {}, "
                "scale {}); set vae.* to the ingest config's VAE",
                vi.name, vi.weights_sha256.substr(0, 12), vi.scale, cfg.data.shards, h.vae.name,
                h.vae.weights_sha256.substr(0, 12), h.vae.scale);
      auto& te = pipeline->text_encoder();
      VDF_CHECK(te.weights_sha256() == h.text.weights_sha256 && te.max_length() == h.text.max_length,
                "text_encoder.* builds '{}' (weights {}, max_length {}) but data.shards='{}' holds embeddings of '{}' "
                "(weights {}, max_length {}); set text_encoder.* to the ingest config's",
                te.name(), te.weights_sha256().substr(0, 12), te.max_length(), cfg.data.shards, h.text.name,
                h.text.weights_sha256.substr(0, 12), h.text.max_length);
    }
#endif
    trainer.sample_hook = [&, pipeline](int64_t step, const std::filesystem::path& dir) {
      torch::manual_seed(cfg.run.seed);
      dit::Dit ema_model(cfg.model);
      ema_model->to(trainer.device());
      tensor_io::LoadOptions ema_weights;
      ema_weights.what = "EMA weights";
      tensor_io::load_weights(*ema_model, trainer.ema().tensors(), ema_weights);
      train::SampleJob job;
      job.prompts = cfg.train.sample_prompts;
      job.sample = cfg.sample;
      job.latent_thw = train::parse_latent_shape(cfg.train.sample_shape);
      job.out_dir = dir;
      job.provenance = {{"step", step}, {"weights", "ema"}};
      pipeline->run(ema_model, job);
    };
  }
  trainer.run();
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "Train the DiT of a config into <run.root>/<run.name> (auto-resumes)");
  vdf::cli::add_config_args(cmd, opts->config, /*config_required=*/true);
  cmd->add_flag("--resume", opts->resume, "require a checkpoint in the run directory and resume from it");
  cmd->add_flag("--no-resume", opts->no_resume, "refuse to start if the run directory already has a checkpoint");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(train, setup);
