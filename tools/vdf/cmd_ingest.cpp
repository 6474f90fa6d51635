// `vdf ingest --config configs/ingest/X.yaml [key.path=value ...]`: manifest of captioned videos/images
// -> HDF5 latent shards + index.json + report.json (docs/ingest.md). Re-running the same command resumes.
#if defined(VDF_WITH_HDF5) && defined(VDF_WITH_VIDEO)
#include <iostream>

#include "data/filters/frame_stats.h"
#include "data/h5/ingest_pipeline.h"
#include "data/h5/model_stages.h"
#include "app/config.h"
#include "framework/core/log.h"
#include "tools/vdf/command.h"
#include "vdf/version.h"

namespace {

// The config that decides shard contents: the ingest, video, vae and text_encoder sections, minus keys
// that cannot change a single stored bit (threads, queue depth, progress bar, output folder).
std::string content_yaml(const vdf::config::VdfConfig& cfg) {
  using vdf::config::Writer;
  YAML::Node root(YAML::NodeType::Map);
  YAML::Node ingest = Writer::to_node(cfg.ingest);
  for (const char* k : {"threads", "queue_inputs", "progress", "output"}) ingest.remove(k);
  root["ingest"] = ingest;
  root["video"] = Writer::to_node(cfg.video);
  root["vae"] = Writer::to_node(cfg.vae);
  root["text_encoder"] = Writer::to_node(cfg.text_encoder);
  YAML::Emitter em;
  em << root;
  return std::string(em.c_str()) + "\n";
}

void run(const vdf::cli::ConfigArgs& args) {
  using namespace vdf;
  config::VdfConfig cfg = config::load_config(args.config_path, args.all_overrides());
  if (cfg.run.threads > 0) torch::set_num_threads(cfg.run.threads);
  auto vae = vae::make_vae(cfg.vae);
  data::check_clip_frames(vae->info(), cfg.video);
  auto text = text::make_text_encoder(cfg.text_encoder);
  data::VideoClipSource clips(cfg.video);
  data::VaeLatentEncoder latents(*vae, cfg.ingest.store_logvar);
  data::TextCaptionEncoder captions(*text);
  data::IngestStages stages{&clips, &latents, &captions};
  if (cfg.video.duplicate_hamming >= 0) {
    stages.signature = [](const torch::Tensor& frames) { return data::clip_signature(frames); };
    stages.duplicate_max_distance = cfg.video.duplicate_hamming;
  }
  VDF_INFO("ingest: manifest '{}' -> '{}', VAE {}, text encoder {}", cfg.ingest.manifest, cfg.ingest.output,
           vae->info().name, text->name());
  data::IngestReport report = data::run_ingest(cfg.ingest, content_yaml(cfg), stages, VDF_VERSION);
  std::cout << report.summary();
}

void setup(CLI::App& app) {
  auto args = std::make_shared<vdf::cli::ConfigArgs>();
  auto* cmd = app.add_subcommand(
      "ingest", "Encode a manifest of captioned videos/images into HDF5 latent shards (resumable)");
  vdf::cli::add_config_args(cmd, *args, /*config_required=*/true);
  cmd->footer(
      "Keys (see `vdf config --schema`): ingest.manifest, ingest.output, ingest.inputs_per_shard, "
      "ingest.batch_size, ingest.threads, ingest.rank, ingest.world_size, ...; video.*, vae.*, text_encoder.*. "
      "Re-running the same command resumes. Docs: docs/ingest.md");
  cmd->callback([args] { run(*args); });
}

}  // namespace

VDF_REGISTER_COMMAND(ingest, setup);
#endif
