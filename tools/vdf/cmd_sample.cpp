// `vdf sample --run-dir DIR | --checkpoint DIR_OR_FILE --prompts prompts.txt --out DIR [--config FILE]
// [--steps --cfg --seed --sampler --shape --device] [--weights ema|model|init] [key.path=value ...]`: text
// encode, sample latents with the trained DiT (EMA weights by default), VAE decode, one MP4 per prompt plus
// sample.json with the exact settings. The config is the checkpoint's config.yaml unless --config names
// another; --steps etc. are shorthands for overrides of the `sample` section (and train.sample_shape,
// run.device).
// `--weights init` samples the run's model at initialization (seeded by run.seed, no weights loaded): the
// untrained baseline the quickstart report shows beside the trained model.
#include <torch/torch.h>

#include <fstream>

#include "app/config.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/tensor_io/safetensors.h"
#include "tools/vdf/command.h"
#include "train/checkpoint.h"
#include "train/sampling.h"
#include "framework/tensor_io/weights.h"
#include "train/trainer.h"
#include "train/wan_task.h"

namespace {

namespace fs = std::filesystem;

struct SampleOptions {
  std::string run_dir, checkpoint, prompts, out, weights = "ema";
  vdf::cli::ConfigArgs config;  // --config (default: the checkpoint's config.yaml), overrides, shorthands
};

std::vector<std::string> read_prompts(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(vdf::read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  VDF_CHECK(!out.empty(), "prompts file {} has no prompts (one per line; '#' starts a comment)", path);
  return out;
}

void run(const SampleOptions& o) {
  using namespace vdf;
  VDF_CHECK(o.run_dir.empty() != o.checkpoint.empty(), "give exactly one of --run-dir DIR or --checkpoint DIR_OR_FILE");
  VDF_CHECK(o.weights == "ema" || o.weights == "model" || o.weights == "init",
            "--weights '{}': expected ema, model or init", o.weights);
  // Locate the checkpoint directory and the weights file.
  fs::path ckpt_dir, weights_file;
  if (!o.run_dir.empty()) {
    auto latest = train::find_latest_checkpoint(fs::path(o.run_dir) / "checkpoints");
    VDF_CHECK(latest, "run directory {} has no checkpoint", o.run_dir);
    ckpt_dir = *latest;
  } else if (fs::is_directory(o.checkpoint)) {
    auto latest = fs::exists(fs::path(o.checkpoint) / "state.json")
                      ? std::optional<fs::path>(o.checkpoint)
                      : train::find_latest_checkpoint(fs::path(o.checkpoint) / "checkpoints");
    VDF_CHECK(latest, "{} is neither a checkpoint directory nor a run directory with checkpoints", o.checkpoint);
    ckpt_dir = *latest;
  } else {
    VDF_CHECK(fs::exists(o.checkpoint), "checkpoint file {} does not exist", o.checkpoint);
    weights_file = o.checkpoint;
    ckpt_dir = fs::path(o.checkpoint).parent_path();
  }
  const bool untrained = o.weights == "init";
  if (weights_file.empty() && !untrained) weights_file = ckpt_dir / (o.weights + ".safetensors");
  const fs::path config_file = o.config.config_path.empty() ? ckpt_dir / "config.yaml" : fs::path(o.config.config_path);
  VDF_CHECK(fs::exists(config_file), "no config.yaml in {} (needed to build the model; or pass --config)",
            ckpt_dir.string());

  config::VdfConfig cfg = config::load_config(config_file.string(), o.config.all_overrides());
  if (cfg.run.threads > 0) torch::set_num_threads(cfg.run.threads);
  const std::string shape = cfg.train.sample_shape;
  VDF_CHECK(!shape.empty(), "no latent shape: pass --shape TxHxW or set train.sample_shape in the run's config");

  torch::Device device = train::resolve_device(cfg.run.device);
  torch::manual_seed(cfg.run.seed);  // the initialization vdf train used (matters for --weights init)
  if (untrained)
    VDF_WARN("--weights init: sampling the UNTRAINED model (initial weights of seed {}), a baseline", cfg.run.seed);
  // The family's denoiser with the checkpoint's weights (a Wan LoRA checkpoint holds only the adapters:
  // the base comes from model.init_from, as in training).
  std::shared_ptr<torch::nn::Module> model;
  diffusion::ModelFn fn;
  if (cfg.model.family == config::ModelFamily::wan) {
    auto task = std::make_shared<train::WanTask>(cfg.model, cfg.diffusion);
    if (!untrained)
      tensor_io::load_weights(task->module(), tensor_io::load_weights_file(weights_file), {true, weights_file.string()});
    task->module().to(device);
    task->module().eval();
    fn = task->model_fn();
    model = std::shared_ptr<torch::nn::Module>(task, &task->module());
  } else {
    dit::Dit dit(cfg.model);
    dit->to(device);
    if (!untrained)
      tensor_io::load_weights(*dit, tensor_io::load_weights_file(weights_file), {true, weights_file.string()});
    dit->eval();
    fn = [dit](const torch::Tensor& x, const torch::Tensor& t, const diffusion::Conditioning& c) mutable {
      return dit->forward(x, t, c.text, c.text_mask, c.pooled);
    };
    model = dit.ptr();
  }

  train::SampleJob job;
  job.prompts = read_prompts(o.prompts);
  job.sample = cfg.sample;
  job.latent_thw = train::parse_latent_shape(shape);
  job.fps = cfg.train.sample_fps;
  job.out_dir = o.out;
  job.provenance = {{"checkpoint", ckpt_dir.string()}, {"weights_file", untrained ? "" : weights_file.string()},
                    {"weights", o.weights}, {"prompts_file", o.prompts}};
  train::SamplePipeline pipeline(cfg.to_sampling(), device);
  pipeline.run(fn, cfg.model, job);
  VDF_INFO("wrote {} samples and sample.json to {}", job.prompts.size(), o.out);
}

void setup(CLI::App& app) {
  auto o = std::make_shared<SampleOptions>();
  auto* cmd = app.add_subcommand("sample", "Sample clips for prompts from a trained run (EMA weights by default)");
  cmd->add_option("--run-dir", o->run_dir, "run directory (its latest checkpoint is used)");
  cmd->add_option("--checkpoint", o->checkpoint, "checkpoint directory, or a weights .safetensors inside one");
  cmd->add_option("--prompts", o->prompts, "text file, one prompt per line")->required();
  cmd->add_option("--out", o->out, "output folder (MP4s + sample.json)")->required();
  cmd->add_option("--weights", o->weights, "ema | model | init (the untrained model, a baseline)")->capture_default_str();
  vdf::cli::add_config_args(cmd, o->config);  // --config: default the checkpoint's config.yaml
  auto& c = o->config;
  vdf::cli::add_override_option(cmd, "--steps", c, "sample.steps", "sampling steps");
  vdf::cli::add_override_option(cmd, "--cfg", c, "sample.cfg_scale", "classifier-free guidance scale");
  vdf::cli::add_override_option(cmd, "--seed", c, "sample.seed", "seed of prompt 0; prompt i uses seed + i");
  vdf::cli::add_override_option(cmd, "--sampler", c, "sample.sampler", "euler | ddim | dpmpp2m");
  vdf::cli::add_override_option(cmd, "--shape", c, "train.sample_shape", "latent TxHxW");
  vdf::cli::add_override_option(cmd, "--device", c, "run.device", "auto | cpu | cuda | cuda:N");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(sample, setup);
