// The root of every vdf config file. Each top-level section has its own header in schema/; a config
// file sets only the sections it needs (an ingest config sets `ingest`, an experiment sets `model`,
// `diffusion`, `train`, ...), everything else keeps its documented default.
// Add a section: write schema/<name>.h with a struct that has visit() and validate(), then list it here.
#pragma once
#include <string>
#include <vector>

#include "framework/config/binding.h"
#include "framework/config/document.h"
#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/model.h"
#include "framework/config/schema/ingest.h"
#include "framework/config/schema/data.h"
#include "framework/config/schema/distributed.h"
#include "framework/config/schema/eval.h"
#include "framework/config/schema/run.h"
#include "framework/config/schema/sample.h"
#include "framework/config/schema/synthetic.h"
#include "framework/config/schema/video.h"
#include "framework/config/schema/train.h"
#include "framework/config/schema/text_encoder.h"
#include "framework/config/schema/vae.h"

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
    v("text_encoder", text_encoder, "prompt encoder (CLIP text tower)");
    v("eval", eval, "evaluation: FID, IS, FVD, CLIP score, reports");
  }
  void validate(const Check& c) const {
    run.validate(c.sub("run"));
    synthetic.validate(c.sub("synthetic"));
    model.validate(c.sub("model"));
    diffusion.validate(c.sub("diffusion"));
    sample.validate(c.sub("sample"));
    video.validate(c.sub("video"));
    ingest.validate(c.sub("ingest"));
    data.validate(c.sub("data"));
    train.validate(c.sub("train"));
    distributed.validate(c.sub("distributed"));
    vae.validate(c.sub("vae"));
    text_encoder.validate(c.sub("text_encoder"));
    eval.validate(c.sub("eval"));
  }
};

// Loads a config file (with `_base_`), applies overrides "a.b=value", binds and validates.
// An empty path means "defaults only". Errors name the key path, the file:line and the expected type.
VdfConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text (tests, embedded defaults).
VdfConfig parse_config(const std::string& yaml_text, const std::vector<std::string>& overrides = {});

}  // namespace vdf::config
