// `vdf sample --run DIR | --checkpoint DIR_OR_FILE --prompts prompts.txt --out DIR [--steps --cfg --seed
// --sampler --weights ema|model|init --shape TxHxW]`: text encode, sample latents with the trained DiT (EMA
// weights by default), VAE decode, one MP4 per prompt plus sample.json with the exact settings.
// `--weights init` samples the run's model at initialization (seeded by run.seed, no weights loaded): the
// untrained baseline the quickstart report shows beside the trained model.
#include <torch/torch.h>

#include <fstream>

#include "framework/config/vdf_config.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/tensor_io/safetensors.h"
#include "tools/vdf/command.h"
#include "train/checkpoint.h"
#include "train/sampling.h"
#include "framework/tensor_io/weights.h"
#include "train/trainer.h"

namespace {

namespace fs = std::filesystem;

struct SampleOptions {
  std::string run_dir, checkpoint, prompts, out, sampler, weights = "ema", shape, device;
  int64_t steps = 0, seed = -1;
  double cfg = -1;
  std::vector<std::string> overrides;
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
  VDF_CHECK(o.run_dir.empty() != o.checkpoint.empty(), "give exactly one of --run DIR or --checkpoint DIR_OR_FILE");
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
  const fs::path config_file = ckpt_dir / "config.yaml";
  VDF_CHECK(fs::exists(config_file), "no config.yaml in {} (needed to build the model)", ckpt_dir.string());

  std::vector<std::string> overrides = o.overrides;
  if (!o.device.empty()) overrides.push_back("run.device=" + o.device);
  config::VdfConfig cfg = config::load_config(config_file.string(), overrides);
  if (o.steps > 0) cfg.sample.steps = o.steps;
  if (o.cfg >= 0) cfg.sample.cfg_scale = o.cfg;
  if (o.seed >= 0) cfg.sample.seed = o.seed;
  if (!o.sampler.empty()) cfg.sample.sampler = o.sampler;
  cfg.sample.validate(config::Check("sample"));
  if (cfg.run.threads > 0) torch::set_num_threads(cfg.run.threads);
  const std::string shape = o.shape.empty() ? cfg.train.sample_shape : o.shape;
  VDF_CHECK(!shape.empty(), "no latent shape: pass --shape TxHxW or set train.sample_shape in the run's config");

  torch::Device device = train::resolve_device(cfg.run.device);
  torch::manual_seed(cfg.run.seed);  // the initialization vdf train used (matters for --weights init)
  dit::Dit model(cfg.model);
  model->to(device);
  if (!untrained)
    tensor_io::load_weights(*model, tensor_io::load_weights_file(weights_file), {true, weights_file.string()});
  else
    VDF_WARN("--weights init: sampling the UNTRAINED model (initial weights of seed {}), a baseline", cfg.run.seed);

  train::SampleJob job;
  job.prompts = read_prompts(o.prompts);
  job.sample = cfg.sample;
  job.latent_thw = train::parse_latent_shape(shape);
  job.fps = cfg.train.sample_fps;
  job.out_dir = o.out;
  job.provenance = {{"checkpoint", ckpt_dir.string()}, {"weights_file", untrained ? "" : weights_file.string()},
                    {"weights", o.weights}, {"prompts_file", o.prompts}};
  train::SamplePipeline pipeline(cfg, device);
  pipeline.run(model, job);
  VDF_INFO("wrote {} samples and sample.json to {}", job.prompts.size(), o.out);
}

void setup(CLI::App& app) {
  auto o = std::make_shared<SampleOptions>();
  auto* cmd = app.add_subcommand("sample", "Sample clips for prompts from a trained run (EMA weights by default)");
  cmd->add_option("--run", o->run_dir, "run directory (its latest checkpoint is used)");
  cmd->add_option("--checkpoint", o->checkpoint, "checkpoint directory, or a weights .safetensors inside one");
  cmd->add_option("--prompts", o->prompts, "text file, one prompt per line")->required();
  cmd->add_option("--out", o->out, "output folder (MP4s + sample.json)")->required();
  cmd->add_option("--steps", o->steps, "sampling steps (0 = sample.steps of the run's config)");
  cmd->add_option("--cfg", o->cfg, "classifier-free guidance scale (-1 = sample.cfg_scale of the config)");
  cmd->add_option("--seed", o->seed, "seed of prompt 0; prompt i uses seed + i (-1 = sample.seed)");
  cmd->add_option("--sampler", o->sampler, "euler | ddim | dpmpp2m (empty = sample.sampler)");
  cmd->add_option("--weights", o->weights, "ema | model | init (the untrained model, a baseline)");
  cmd->add_option("--shape", o->shape, "latent TxHxW (empty = train.sample_shape)");
  cmd->add_option("--device", o->device, "override run.device (auto | cpu | cuda | cuda:N)");
  cmd->add_option("overrides", o->overrides, "config overrides key.path=value applied to the run's config");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(sample, setup);
