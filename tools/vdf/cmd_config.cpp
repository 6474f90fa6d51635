// `vdf config [--config FILE] [key.path=value ...]`: print the fully resolved config (all sections, defaults
// filled in), or with --schema every key with its type, default and meaning.
#include <iostream>

#include "app/config.h"
#include "framework/core/atomic_file.h"
#include "tools/vdf/command.h"

namespace {

struct ConfigOptions {
  vdf::cli::ConfigArgs config;
  bool schema = false;
  std::string out;
};

void run(const ConfigOptions& o) {
  using namespace vdf::config;
  if (o.schema) {
    for (const auto& f : describe(VdfConfig{}))
      std::cout << f.key << " (" << f.type << ", default " << f.default_value << "): " << f.help << "\n";
    return;
  }
  VdfConfig cfg = load_config(o.config.config_path, o.config.all_overrides());
  std::string text = to_yaml(cfg);
  if (!o.out.empty()) {
    vdf::write_file_atomic(o.out, text);
    return;
  }
  std::cout << text;
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<ConfigOptions>();
  auto* cmd = app.add_subcommand("config", "Print the fully resolved config (--config FILE, or the defaults) plus overrides");
  vdf::cli::add_config_args(cmd, opts->config);
  cmd->add_flag("--schema", opts->schema, "list every key with its type, default and meaning");
  cmd->add_option("-o,--out", opts->out, "write the resolved YAML to this file instead of stdout");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(config, setup);
