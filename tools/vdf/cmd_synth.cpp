// `vdf synth [--config FILE] [overrides]`: render the synthetic coloured-shapes dataset to MP4 files
// with a manifest (config section `synthetic`). Needs FFmpeg (the MP4 writer): absent from builds without it.
#ifdef VDF_WITH_VIDEO
#include <iostream>

#include "data/video/shapes_writer.h"
#include "app/config.h"
#include "tools/vdf/command.h"

namespace {

void setup(CLI::App& app) {
  auto args = std::make_shared<vdf::cli::ConfigArgs>();
  auto* cmd = app.add_subcommand("synth", "Render the synthetic captioned shapes dataset (MP4 + manifest.jsonl)");
  vdf::cli::add_config_args(cmd, *args);
  cmd->callback([args] {
    auto cfg = vdf::config::load_config(args->config_path, args->all_overrides());
    auto written = vdf::data::synthetic::write_synthetic_dataset(cfg.synthetic);
    std::cout << "manifest: " << written.manifest << "\nheld-out prompts: " << written.heldout_prompts << "\n";
  });
}

}  // namespace

VDF_REGISTER_COMMAND(synth, setup);
#endif  // VDF_WITH_VIDEO
