#include "tests/test_support.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sys/wait.h>

namespace vdf::testing {

fs::path source_dir() { return fs::path(VDF_SOURCE_DIR); }

fs::path shared_dir() {
  if (const char* env = std::getenv("VDF_SHARED_DIR")) return fs::path(env);
  return source_dir().parent_path() / "shared";
}

bool has_shared(const std::string& rel) { return fs::exists(shared_dir() / rel); }
fs::path shared(const std::string& rel) { return shared_dir() / rel; }

TempDir::TempDir(const std::string& tag) {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = fs::temp_directory_path() / (tag + "-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("TempDir: could not create a temporary folder");
}

TempDir::~TempDir() {
  if (std::getenv("VDF_KEEP_TMP")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command_line) {
  CommandResult result;
  std::string full = command_line + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string vdf_exe() { return VDF_VDF_EXE; }

}  // namespace vdf::testing

namespace vdf::testing {
std::string python() {
  if (const char* p = std::getenv("VDF_PYTHON"); p && *p) return p;
  return VDF_REFERENCE_PYTHON;
}
}  // namespace vdf::testing

namespace vdf::testing {
double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  // On the CPU in float64, so that tensors of different devices and dtypes compare.
  return (a.detach().to(torch::kCPU, torch::kFloat64) - b.detach().to(torch::kCPU, torch::kFloat64)).abs().max().item<double>();
}
double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  return max_abs(a, b) / std::max(b.detach().to(torch::kCPU, torch::kFloat64).abs().max().item<double>(), 1e-300);
}
}  // namespace vdf::testing
