// Subcommand registry of the `vdf` program. Each tools/vdf/cmd_<name>.cpp defines its options and its
// action and registers itself with VDF_REGISTER_COMMAND; main.cpp knows none of them by name.
//
//   static void setup(CLI::App& app) {
//     auto* cmd = app.add_subcommand("probe", "Describe the streams of a video file");
//     auto opts = std::make_shared<ProbeOptions>();
//     cmd->add_option("file", opts->file, "video file")->required();
//     cmd->callback([opts] { run_probe(*opts); });
//   }
//   VDF_REGISTER_COMMAND(probe, setup);
//
// Callbacks throw vdf::Error on failure; main() prints one line and exits 1. A command that wants a
// specific exit code throws vdf::cli::ExitCode.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace vdf::cli {

using CommandSetup = std::function<void(CLI::App&)>;

struct CommandEntry {
  std::string name;
  CommandSetup setup;
};

std::vector<CommandEntry>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(const char* name, CommandSetup setup) {
    command_registry().push_back({name, std::move(setup)});
  }
};

// Thrown by a command to exit with a given code without an error line (e.g. verification failed
// after printing its own report).
struct ExitCode {
  int code;
};

// Shared option helpers: --config FILE and trailing key.path=value overrides.
struct ConfigArgs {
  std::string config_path;
  std::vector<std::string> overrides;
};
void add_config_args(CLI::App* cmd, ConfigArgs& args, bool config_required = false);

}  // namespace vdf::cli

#define VDF_REGISTER_COMMAND(name, setup_fn) \
  static ::vdf::cli::CommandRegistrar vdf_command_registrar_##name(#name, setup_fn)
