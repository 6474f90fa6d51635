// Child processes of `vdf sweep`: each local run is `vdf train` in a process of its own (a crash or an
// out-of-memory kill of one run does not take the sweep down), and sbatch is called to submit arrays.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace vdf::experiments {

// Runs argv[0] (searched in PATH) with stdout and stderr appended to `log`; returns the exit status
// (128 + signal when killed). Throws vdf::Error when it cannot start.
int run_process_logged(const std::vector<std::string>& argv, const std::filesystem::path& log);
// Runs argv and returns its stdout+stderr; the exit status in *exit_code.
std::string run_process_captured(const std::vector<std::string>& argv, int* exit_code);
// The path of the running program (/proc/self/exe): sweeps start the same `vdf` that expanded them.
std::filesystem::path current_executable();

}  // namespace vdf::experiments
