// The self-describing run directory <run.root>/<run.name>:
//   config.yaml      resolved config of the latest invocation (every key, defaults filled in)
//   command.txt      every command line that ran in this directory, one per line, with a UTC time
//   version.json     vdf version, git revision, LibTorch version, build options
//   train.log        the log of every invocation (appended)
//   metrics.jsonl    one JSON object per line: {"kind":"train",...} and {"kind":"val",...}
//   checkpoints/     see train/checkpoint.h
//   samples/         periodic samples: samples/step_NNNNNNN/
// Only rank 0 writes here.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "framework/config/schema/run.h"
#include "framework/core/jsonl.h"

namespace vdf::train {

namespace fs = std::filesystem;

struct RunPaths {
  fs::path root, config, command, version, log, metrics, checkpoints, samples;
};

RunPaths run_paths(const config::RunConfig& run);
RunPaths run_paths(const fs::path& root);
// Creates the folders and writes config.yaml, version.json and appends command.txt.
void prepare_run_directory(const RunPaths& paths, const std::string& command_line, const std::string& config_yaml);
nlohmann::json version_info();

// metrics.jsonl writer: one flushed line per record.
class MetricsLog {
 public:
  explicit MetricsLog(fs::path path);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  // Drops every record with "step" > step (and torn lines of a killed process); used on resume so the
  // file holds exactly one history. Rewrites the file atomically.
  void truncate_after(int64_t step);
  void write(const nlohmann::json& record);
  // Also hands every record written from now on to `mirror` (the TensorBoard log: train/tensorboard_log.h),
  // so the other views of the metrics hold exactly what metrics.jsonl holds.
  void set_mirror(std::function<void(const nlohmann::json&)> mirror) { mirror_ = std::move(mirror); }

 private:
  void open();
  fs::path path_;
  std::FILE* file_ = nullptr;
  std::function<void(const nlohmann::json&)> mirror_;
};

// Reads metrics.jsonl (skipping torn lines): the one reader, framework/core/jsonl.h.
using vdf::read_metrics;

}  // namespace vdf::train
