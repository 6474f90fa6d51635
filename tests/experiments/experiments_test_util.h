// Shared helpers of the experiments tests: the tiny CPU training config, running vdf, the Python oracle
// that reads TensorBoard files.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "framework/core/atomic_file.h"
#include "tests/test_support.h"

namespace vdf::experiments::testing {

namespace fs = std::filesystem;

inline std::string tiny_config() { return (vdf::testing::source_dir() / "configs/train/tiny_cpu.yaml").string(); }

// `vdf train` of the tiny CPU config into root/name with extra overrides; stdout+stderr in the result.
inline vdf::testing::CommandResult train_tiny(const fs::path& root, const std::string& name, const std::string& overrides) {
  return vdf::testing::run_command(vdf::testing::vdf_exe() + " train --config " + tiny_config() + " run.root=" +
                                   root.string() + " run.name=" + name + " run.threads=1 " + overrides + " 2>&1");
}

// tests/experiments/read_tensorboard.py MODE ARG, parsed. Fails the test (REQUIRE) when Python fails.
inline nlohmann::json read_tensorboard(const std::string& mode, const fs::path& arg, std::string* output = nullptr) {
  const auto r = vdf::testing::run_command(vdf::testing::python() + " " +
                                           (vdf::testing::source_dir() / "tests/experiments/read_tensorboard.py").string() +
                                           " " + mode + " " + arg.string() + " 2>" + (arg.parent_path() / "py.err").string());
  if (output) *output = r.output;
  if (r.exit_code != 0) return nlohmann::json();
  return nlohmann::json::parse(r.output, nullptr, false);
}

}  // namespace vdf::experiments::testing
