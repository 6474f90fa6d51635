// Helpers for tests that start real multi-process jobs of this test executable (hidden case
// "[.ddp_worker]") through `vdf launch`, and read back what rank 0 wrote.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vdf::testing {

// Weights after N data-parallel steps vs the single-process run (max abs difference; measured ~3e-8).
constexpr double kDdpWeightTolerance = 2e-5;

std::string self_exe();
int free_port();  // a port that is free right now (bound then released)
// Environment assignments "K=V ..." for a worker run writing into `out`.
std::string worker_env(const std::filesystem::path& out, const std::string& extra = "");
// Command line that runs the worker case of this executable.
std::string worker_command();
struct WorkerOutput {
  torch::Tensor weights;
  std::vector<double> losses;
  int64_t buckets = 0, launched_in_backward = 0;
};
WorkerOutput read_worker_output(const std::filesystem::path& out);
double seconds_since(std::chrono::steady_clock::time_point t0);

}  // namespace vdf::testing
