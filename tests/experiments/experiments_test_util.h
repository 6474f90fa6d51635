// Shared helpers of the experiments tests: the tiny CPU training config, running vdf, the Python oracle
// that reads TensorBoard files.
#pragma once
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "framework/core/atomic_file.h"
#include "tests/eval/eval_test_util.h"
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

// `vdf compare` of the runs, loaded in headless Chromium: no console errors, every run on the page.
// Returns the DOM (empty when Chromium is missing and the test may skip).
inline std::string check_compare_page(const std::vector<fs::path>& runs, const fs::path& out, const std::string& tag,
                                      const std::string& extra_args = "") {
  std::string cmd = vdf::testing::vdf_exe() + " compare";
  for (const auto& r : runs) cmd += " " + r.string();
  auto compare = vdf::testing::run_command(cmd + " --out " + out.string() + " " + extra_args + " 2>&1");
  INFO(compare.output);
  REQUIRE(compare.exit_code == 0);
  CHECK_THAT(compare.output, Catch::Contains("compare: reading runs"));  // progress
  REQUIRE(fs::exists(out / "compare.html"));
  const std::string chromium = vdf::eval::testing::find_chromium();
  if (!vdf::testing::require_or_skip(!chromium.empty(), "chromium is not installed (tools/setup_debian.sh)")) return "";
  const fs::path shots = vdf::eval::testing::test_output_dir();
  const auto r = vdf::eval::testing::render_in_chromium(chromium, out / "compare.html", shots / ("compare_" + tag + ".png"));
  INFO(r.dom.output.substr(0, 3000));
  REQUIRE(r.dom.exit_code == 0);
  CHECK(r.dom.output.find("id=\"runs\"") != std::string::npos);
  CHECK(r.dom.output.find("id=\"config-diff\"") != std::string::npos);
  const size_t begin = r.dom.output.find("id=\"runs\"");
  REQUIRE(begin != std::string::npos);
  const std::string runs_table = r.dom.output.substr(begin, r.dom.output.find("</table>", begin) - begin);
  CHECK(vdf::eval::testing::count_of(runs_table, "<tr>") == runs.size() + 1);  // header + one row per run
  for (const auto& run : runs) {
    INFO(run.filename().string());
    CHECK(vdf::eval::testing::count_of(runs_table, "<td>" + run.filename().string() + "</td>") == 1);
  }
  CHECK(r.dom.output.find("<svg") != std::string::npos);
  INFO(r.screenshot.output);
  CHECK(r.screenshot.exit_code == 0);
  CHECK(r.console.empty());
  return r.dom.output;
}

}  // namespace vdf::experiments::testing
