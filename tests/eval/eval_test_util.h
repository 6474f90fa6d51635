// Helpers shared by the eval tests: golden file access and tolerance reporting.
#pragma once
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "eval/util/st_lite.h"
#include "framework/core/error.h"
#include "tests/test_support.h"

namespace vdf::eval::testing {

// max|a-b| / max|b| (the golden README's relative measure).
inline double rel_maxdiff(const torch::Tensor& a, const torch::Tensor& b) {
  auto a64 = a.to(torch::kFloat64), b64 = b.to(torch::kFloat64);
  return (a64 - b64).abs().max().item<double>() / b64.abs().max().item<double>();
}

inline st_lite::TensorMap golden(const std::string& rel, st_lite::Metadata* md = nullptr) {
  return st_lite::load(vdf::testing::shared("golden/" + rel), md);
}

// Where tests keep artifacts for people to look at (screenshots, sample reports):
// $VDF_TEST_OUTPUT_DIR/eval, else <repo>/build/test-output/eval.
inline std::filesystem::path test_output_dir() {
  const char* env = std::getenv("VDF_TEST_OUTPUT_DIR");
  auto dir = (env ? std::filesystem::path(env) : vdf::testing::source_dir() / "build/test-output") / "eval";
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace vdf::eval::testing

// Skips the current test (with a WARN) when ../shared/<rel> is absent.
#define EVAL_REQUIRE_SHARED(rel)                                             \
  do {                                                                       \
    if (!vdf::testing::has_shared(rel)) {                                    \
      WARN("skipped: ../shared/" << (rel) << " is not available");           \
      return;                                                                \
    }                                                                        \
  } while (0)
