// Sampling prompts with a trained DiT: text encode -> sampler (with CFG) -> VAE decode -> one MP4 per
// prompt (when video I/O is built; otherwise the decoded frames as uint8 safetensors, and the log says
// so) plus sample.json with the exact settings. Used by `vdf sample` and the trainer's periodic sampling.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/schema/sample.h"
#include "framework/diffusion/objective.h"
#include "train/config.h"
#include "framework/models/dit/dit.h"

namespace vdf::text {
class TextEncoder;
}
namespace vdf::vae {
class Vae;
}
namespace vdf::data {
class LatentDataset;
}

namespace vdf::train {

namespace fs = std::filesystem;

struct SampleJob {
  std::vector<std::string> prompts;
  config::SampleConfig sample;         // sampler, steps, cfg_scale, seed, eta, shift
  std::vector<int64_t> latent_thw;     // latent frames, height, width
  double fps = 8.0;
  fs::path out_dir;
  nlohmann::json provenance;           // recorded in sample.json (checkpoint, weights, ...)
};

class SamplePipeline {
 public:
  // Builds the text encoder (section text_encoder) and VAE (section vae) of `cfg` on first use.
  SamplePipeline(SamplingConfig cfg, torch::Device device);
  ~SamplePipeline();
  // Samples every prompt (one at a time, seed = sample.seed + prompt index) and writes the outputs and
  // sample.json into job.out_dir (created). Returns the sample.json content.
  nlohmann::json run(dit::Dit& model, const SampleJob& job);
  // The same for any model family: `fn` is the denoiser (in eval mode), `model` its config section.
  nlohmann::json run(const diffusion::ModelFn& fn, const config::DitConfig& model, const SampleJob& job);
  // The text encoder and VAE sampling uses (built on first call), e.g. to check them against the ones a
  // dataset was encoded with.
  text::TextEncoder& text_encoder();
  vae::Vae& vae();

 private:
  SamplingConfig cfg_;
  torch::Device device_;
  std::unique_ptr<text::TextEncoder> text_;
  std::unique_ptr<vae::Vae> vae_;
};

// Samples are decoded with vae.* and conditioned with text_encoder.*: they must be the models the dataset
// was encoded with (its provenance), or the samples are noise that looks like a training failure. Throws
// naming both sides; nothing to check for a dataset without provenance (synthetic).
void check_encoders_match(SamplePipeline& pipeline, const data::LatentDataset& dataset);

class Trainer;
// The trainer's periodic sampling (Trainer::sample_hook): at each call, the trainer's EMA weights in a
// model of `model` (built after seeding torch with `init_seed`, like training), sampled with `job`
// (prompts, sampler settings, shape, fps) into the given folder, with the step in sample.json.
std::function<void(int64_t step, const fs::path& out_dir)> ema_sample_hook(const Trainer& trainer,
                                                                           std::shared_ptr<SamplePipeline> pipeline,
                                                                           config::DitConfig model, SampleJob job,
                                                                           int64_t init_seed);

// Parses "TxHxW" (latent units) into {T, H, W}.
std::vector<int64_t> parse_latent_shape(const std::string& text);

}  // namespace vdf::train
