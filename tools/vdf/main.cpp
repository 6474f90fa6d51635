// The `vdf` program: one binary, subcommands registered by tools/vdf/cmd_*.cpp.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "framework/core/build_info.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "tools/vdf/command.h"
#include "vdf/version.h"

namespace vdf::cli {

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

void add_config_args(CLI::App* cmd, ConfigArgs& args, bool config_required) {
  auto* opt = cmd->add_option("-c,--config", args.config_path, "YAML config file (with _base_ inheritance)");
  if (config_required) opt->required();
  cmd->add_option("overrides", args.overrides, "config overrides key.path=value (checked against the schema)");
}

std::string version_text() {
  return fmt::format("vdf {} (git {})\n{}\nvideo I/O (FFmpeg): {}\nHDF5 shards: {}", VDF_VERSION, VDF_GIT_REVISION,
                     build_info::summary(),
#ifdef VDF_WITH_VIDEO
                     "yes",
#else
                     "no (built without FFmpeg)",
#endif
#ifdef VDF_WITH_HDF5
                     "yes"
#else
                     "no (built without HDF5)"
#endif
  );
}

}  // namespace vdf::cli

int main(int argc, char** argv) {
  using namespace vdf;
  log::init(log::Level::info);

  CLI::App app{"vdf: text-to-video latent diffusion — ingest, train, sample, evaluate"};
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", cli::version_text());
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace | debug | info | warn | error")->capture_default_str();
  app.parse_complete_callback([&] { log::set_level(log::parse_level(log_level)); });

  auto& registry = cli::command_registry();
  std::sort(registry.begin(), registry.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& entry : registry) entry.setup(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cli::ExitCode& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "vdf: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
