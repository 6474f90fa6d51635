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

// Shared option helpers: --config FILE and trailing key.path=value overrides. Every convenience flag of
// a command is a shorthand for a config override (add_override_flag / add_override_option): it adds
// `key=value` after the trailing overrides (so the flag wins), and the config binding checks it like
// any override, naming the key. No flag has a sentinel value meaning "not given".
struct ConfigArgs {
  std::string config_path;
  std::vector<std::string> overrides;       // trailing key.path=value
  std::vector<std::string> flag_overrides;  // from convenience flags, in command-line order
  std::vector<std::string> flags;           // the convenience flags as typed (for command.txt)
  // overrides, then flag_overrides.
  std::vector<std::string> all_overrides() const;
  // "<program> --config FILE overrides... flags..." with shell quoting (recorded in command.txt).
  std::string command_line(const std::string& program) const;
};
void add_config_args(CLI::App* cmd, ConfigArgs& args, bool config_required = false);
// `--name` (no value) = the override `assignment`, e.g. --resume = train.resume=always.
CLI::Option* add_override_flag(CLI::App* cmd, const std::string& name, ConfigArgs& args, const std::string& assignment,
                               const std::string& help);
// `--name VALUE` = the override `key=VALUE`, e.g. --steps 20 = sample.steps=20. The value is passed as
// a quoted YAML scalar (any text, checked against the key's type at binding); with `comma_list`,
// "a,b" becomes the list [a, b].
CLI::Option* add_override_option(CLI::App* cmd, const std::string& name, ConfigArgs& args, const std::string& key,
                                 const std::string& help, bool comma_list = false);
// Shell quoting for recorded command lines.
std::string shell_quote(const std::string& s);

}  // namespace vdf::cli

#define VDF_REGISTER_COMMAND(name, setup_fn) \
  static ::vdf::cli::CommandRegistrar vdf_command_registrar_##name(#name, setup_fn)
