// The root of every vdf config file, assembled where the program is assembled: each layer owns the
// schema of its sections (framework/config/schema/: run, model, diffusion, sample, distributed, vae,
// text_encoder; data/config/: video, ingest, data, synthetic; train/config.h: train; eval/config.h:
// eval) and this file only lists them. A config file sets only the sections it needs (an ingest config
// sets `ingest`, an experiment sets `model`, `diffusion`, `train`, ...), everything else keeps its
// documented default.
// Add a section: write its struct (visit() and validate()) beside the code that reads it, then list it
// here. The conversions at the bottom hand each library the sections it reads, nothing more.
#pragma once
#include <string>
#include <vector>

#include "data/config/data.h"
#include "data/config/ingest.h"
#include "data/config/synthetic.h"
#include "data/config/video.h"
#include "eval/config.h"
#include "framework/config/binding.h"
#include "framework/config/document.h"
#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/distributed.h"
#include "framework/config/schema/model.h"
#include "framework/config/schema/run.h"
#include "framework/config/schema/sample.h"
#include "framework/config/schema/text_encoder.h"
#include "framework/config/schema/vae.h"
#include "train/config.h"

namespace vdf::config {

struct VdfConfig {
  RunConfig run;
  SyntheticConfig synthetic;
  DitConfig model;
  DiffusionConfig diffusion;
  SampleConfig sample;
  VideoConfig video;
  IngestConfig ingest;
  DataConfig data;
  TrainConfig train;
  DistributedConfig distributed;
  VaeConfig vae;
  TextEncoderConfig text_encoder;
  EvalConfig eval;

  template <class V>
  void visit(V& v) {
    v("run", run, "run directory, seed, device, logging");
    v("synthetic", synthetic, "synthetic coloured-shapes dataset (vdf synth)");
    v("model", model, "the video DiT (docs/dit.md)");
    v("diffusion", diffusion, "training objective and noise schedule (docs/diffusion.md)");
    v("sample", sample, "sampler settings (docs/diffusion.md)");
    v("video", video, "decoding, FPS resampling, resize/crop, clips and filters of source videos");
    v("ingest", ingest, "manifest to HDF5 latent shards (vdf ingest)");
    v("data", data, "training data source and bucketed batching");
    v("train", train, "optimizer, schedule, EMA, checkpoints, validation");
    v("distributed", distributed, "data-parallel training: backend, timeout, gradient buckets");
    v("vae", vae, "autoencoder between pixels and latents");
    v("text_encoder", text_encoder, "prompt encoder (CLIP text tower, T5 or UMT5)");
    v("eval", eval, "evaluation: FID, IS, FVD, CLIP score, reports");
  }
  void validate(const Check& c) const { validate_sections(*this, c); }

  // The sections each library reads (libraries never see the root).
  ::vdf::train::TrainerConfig to_trainer() const { return {run, data, train, to_yaml(*this)}; }
  ::vdf::train::SamplingConfig to_sampling() const { return {text_encoder, vae, diffusion}; }
};

// Loads a config file (with `_base_`), applies overrides "a.b=value", binds and validates.
// An empty path means "defaults only". Errors name the key path, the file:line and the expected type.
VdfConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text (tests, embedded defaults).
VdfConfig parse_config(const std::string& yaml_text, const std::vector<std::string>& overrides = {});

}  // namespace vdf::config
