#include "train/run_dir.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/build_info.h"
#include "framework/core/error.h"
#include "vdf/version.h"

namespace vdf::train {

RunPaths run_paths(const fs::path& root) {
  RunPaths p;
  p.root = root;
  p.config = root / "config.yaml";
  p.command = root / "command.txt";
  p.version = root / "version.json";
  p.log = root / "train.log";
  p.metrics = root / "metrics.jsonl";
  p.checkpoints = root / "checkpoints";
  p.samples = root / "samples";
  return p;
}

RunPaths run_paths(const config::RunConfig& run) { return run_paths(fs::path(run.root) / run.name); }

nlohmann::json version_info() {
  return {{"vdf", VDF_VERSION},
          {"git", VDF_GIT_REVISION},
          {"libtorch", build_info::libtorch()},
          {"cuda_build", build_info::cuda_build()},
          {"cuda", build_info::cuda()},
          {"cudnn", build_info::cudnn()},
          {"nccl", build_info::nccl()},
#ifdef VDF_WITH_VIDEO
          {"video_io", true},
#else
          {"video_io", false},
#endif
  };
}

namespace {
std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

void prepare_run_directory(const RunPaths& paths, const std::string& command_line, const std::string& config_yaml) {
  with_context(fmt::format("preparing run directory {}", paths.root.string()), [&] {
    fs::create_directories(paths.root);
    fs::create_directories(paths.checkpoints);
    write_file_atomic(paths.config, config_yaml);
    write_file_atomic(paths.version, version_info().dump(2) + "\n");
    std::string history;
    std::error_code ec;
    if (fs::exists(paths.command, ec)) history = read_file(paths.command);
    history += utc_now() + "  " + command_line + "\n";
    write_file_atomic(paths.command, history);
  });
}

MetricsLog::MetricsLog(fs::path path) : path_(std::move(path)) { open(); }
MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::open() {
  if (file_) std::fclose(file_);
  file_ = std::fopen(path_.c_str(), "ab");
  VDF_CHECK(file_, "cannot open {} for appending", path_.string());
}

void MetricsLog::truncate_after(int64_t step) {
  std::string kept;
  for (const auto& j : read_metrics(path_))
    if (j.contains("step") && j["step"].get<int64_t>() <= step) kept += j.dump() + "\n";
  if (file_) std::fclose(file_);
  file_ = nullptr;
  write_file_atomic(path_, kept);
  open();
}

void MetricsLog::write(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  VDF_CHECK(std::fwrite(line.data(), 1, line.size(), file_) == line.size(), "writing {} failed", path_.string());
  std::fflush(file_);
  if (mirror_) mirror_(record);
}

}  // namespace vdf::train
