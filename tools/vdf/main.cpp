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

CLI::Option* add_override_flag(CLI::App* cmd, const std::string& name, ConfigArgs& args, const std::string& assignment,
                               const std::string& help) {
  return cmd->add_flag_callback(
      name,
      [&args, name, assignment] {
        args.flag_overrides.push_back(assignment);
        args.flags.push_back(name);
      },
      help + " (= " + assignment + ")");
}

namespace {
std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
}  // namespace

CLI::Option* add_override_option(CLI::App* cmd, const std::string& name, ConfigArgs& args, const std::string& key,
                                 const std::string& help, bool comma_list) {
  return cmd->add_option_function<std::string>(
      name,
      [&args, name, key, comma_list](const std::string& value) {
        std::string yaml;
        if (comma_list) {
          size_t start = 0;
          while (start <= value.size()) {
            const size_t comma = std::min(value.find(',', start), value.size());
            const std::string item = value.substr(start, comma - start);
            if (!item.empty()) yaml += (yaml.empty() ? "" : ", ") + yaml_quote(item);
            start = comma + 1;
          }
          yaml = "[" + yaml + "]";
        } else {
          yaml = yaml_quote(value);
        }
        args.flag_overrides.push_back(key + "=" + yaml);
        args.flags.push_back(name + " " + shell_quote(value));
      },
      help + " (= " + key + ")");
}

std::vector<std::string> ConfigArgs::all_overrides() const {
  std::vector<std::string> out = overrides;
  out.insert(out.end(), flag_overrides.begin(), flag_overrides.end());
  return out;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t'\"$\\") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ConfigArgs::command_line(const std::string& program) const {
  std::string out = program;
  if (!config_path.empty()) out += " --config " + shell_quote(config_path);
  for (const auto& ov : overrides) out += " " + shell_quote(ov);
  for (const auto& f : flags) out += " " + f;
  return out;
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
