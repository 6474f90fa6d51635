// Sampling prompts with a trained DiT: text encode -> sampler (with CFG) -> VAE decode -> one MP4 per
// prompt (when video I/O is built; otherwise the decoded frames as uint8 safetensors, and the log says
// so) plus sample.json with the exact settings. Used by `vdf sample` and the trainer's periodic sampling.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/vdf_config.h"
#include "framework/models/dit/dit.h"

namespace vdf::text {
class TextEncoder;
}
namespace vdf::vae {
class Vae;
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
  SamplePipeline(config::VdfConfig cfg, torch::Device device);
  ~SamplePipeline();
  // Samples every prompt (one at a time, seed = sample.seed + prompt index) and writes the outputs and
  // sample.json into job.out_dir (created). Returns the sample.json content.
  nlohmann::json run(dit::Dit& model, const SampleJob& job);
  // The text encoder and VAE sampling uses (built on first call), e.g. to check them against the ones a
  // dataset was encoded with.
  text::TextEncoder& text_encoder();
  vae::Vae& vae();

 private:
  config::VdfConfig cfg_;
  torch::Device device_;
  std::unique_ptr<text::TextEncoder> text_;
  std::unique_ptr<vae::Vae> vae_;
};

// Parses "TxHxW" (latent units) into {T, H, W}.
std::vector<int64_t> parse_latent_shape(const std::string& text);

}  // namespace vdf::train
