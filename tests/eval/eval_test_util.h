// Helpers shared by the eval tests: golden file access and tolerance reporting.
#pragma once
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "framework/tensor_io/safetensors.h"
#include "framework/core/error.h"
#include "tests/test_support.h"

namespace vdf::eval::testing {

// max|a-b| / max|b| (the golden README's relative measure).
inline double rel_maxdiff(const torch::Tensor& a, const torch::Tensor& b) {
  auto a64 = a.to(torch::kFloat64), b64 = b.to(torch::kFloat64);
  return (a64 - b64).abs().max().item<double>() / b64.abs().max().item<double>();
}

inline vdf::tensor_io::TensorMap golden(const std::string& rel, vdf::tensor_io::Metadata* md = nullptr) {
  return vdf::tensor_io::load_safetensors(vdf::testing::shared("golden/" + rel), md);
}

// Where tests keep artifacts for people to look at (screenshots, sample reports):
// $VDF_TEST_OUTPUT_DIR/eval, else <repo>/build/test-output/eval.
inline std::filesystem::path test_output_dir() {
  const char* env = std::getenv("VDF_TEST_OUTPUT_DIR");
  auto dir = (env ? std::filesystem::path(env) : vdf::testing::source_dir() / "build/test-output") / "eval";
  std::filesystem::create_directories(dir);
  return dir;
}

// Headless Chromium (Debian `chromium`): "" when not installed.
inline std::string find_chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::filesystem::exists(c)) return c;
  return "";
}

struct ChromiumRender {
  vdf::testing::CommandResult dom;         // --dump-dom: the DOM after loading (stdout only)
  vdf::testing::CommandResult screenshot;  // --screenshot, with Chromium's log on stderr
  std::filesystem::path png;
  std::vector<std::string> console;        // page console messages (":CONSOLE" log lines): errors, if any
};

// Loads `html` in headless Chromium: dumps the DOM, takes a screenshot to `png`, and collects the page's
// console messages (a report has no scripts, so any message means something failed to load or parse).
inline ChromiumRender render_in_chromium(const std::string& chromium, const std::filesystem::path& html,
                                         const std::filesystem::path& png) {
  vdf::testing::TempDir profile("vdf-chromium");
  const std::string flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                            "--disable-background-networking --disable-component-update --disable-sync "
                            "--user-data-dir=" + profile.path().string();
  ChromiumRender r;
  r.png = png;
  r.dom = vdf::testing::run_command("timeout 120 " + chromium + " " + flags + " --dump-dom file://" +
                                    std::filesystem::absolute(html).string() + " 2>/dev/null");
  std::filesystem::remove(png);
  r.screenshot = vdf::testing::run_command("timeout 120 " + chromium + " " + flags + " --enable-logging=stderr --v=0"
                                           " --screenshot=" + png.string() + " --window-size=1280,1400 file://" +
                                           std::filesystem::absolute(html).string() + " 2>&1");
  std::istringstream lines(r.screenshot.output);
  for (std::string line; std::getline(lines, line);)
    if (line.find(":CONSOLE") != std::string::npos) r.console.push_back(line);
  return r;
}

inline size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace vdf::eval::testing

// Skips the current test (with a WARN) when ../shared/<rel> is absent.
#define EVAL_REQUIRE_SHARED(rel)                                             \
  do {                                                                       \
    if (!vdf::testing::require_shared({rel})) return;                        \
  } while (0)
