// Shared helpers for vdf tests: locating ../shared assets, temporary folders, running the vdf CLI.
#pragma once
#include <filesystem>
#include <string>

#include <torch/torch.h>

namespace vdf::testing {

namespace fs = std::filesystem;

// The repository root (compile-time) and the ../shared folder beside it (or $VDF_SHARED_DIR).
fs::path source_dir();
fs::path shared_dir();
// True when ../shared/<rel> exists; tests that need it call this and SUCCEED/WARN-skip otherwise.
bool has_shared(const std::string& rel);
fs::path shared(const std::string& rel);

// A fresh, empty temporary folder removed at destruction (kept when VDF_KEEP_TMP is set).
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "vdf-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line, capturing stdout+stderr.
CommandResult run_command(const std::string& command_line);
// Path of the built `vdf` program.
std::string vdf_exe();
// max |a - b| and max |a - b| / max |b|, in float64: the error measures of parity tests.
double max_abs(const torch::Tensor& a, const torch::Tensor& b);
double rel_err(const torch::Tensor& a, const torch::Tensor& b);

// The Python of the pinned reference environment (torch of the same version vdf builds against,
// diffusers, transformers, scipy...; tools/setup_python.sh): $VDF_PYTHON, else the checkout's .venv.
std::string python();

}  // namespace vdf::testing
