// The trainer's TensorBoard view of a run (train.tensorboard, on by default): <run>/tensorboard/ holds
// one event file (framework/tensorboard/event_file.h) with
//   - every number of every metrics.jsonl record, as the scalar "<kind>/<field>" ("train/loss",
//     "train/lr", "train/grad_norm", "train/tokens_per_s", "val/val_loss", and nested objects as
//     "<kind>/<field>/<key>": "val/val_loss_t/0.3"), at the record's step — the metrics log hands each
//     record over as it writes it (MetricsLog::set_mirror), so both always hold the same numbers;
//   - the frame strip of every periodic sample ("samples/<index>" images, the prompt in sample.json);
//   - the resolved config as text ("config") at the step each invocation starts from.
// A resumed run reopens the file dropping the events after its checkpoint step, as metrics.jsonl does.
// `vdf eval --run-dir` adds eval metrics to <run>/tensorboard/eval/ (eval/evaluate.cpp).
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "framework/tensorboard/event_file.h"

namespace vdf::train {

namespace fs = std::filesystem;

// <run>/tensorboard
fs::path tensorboard_dir(const fs::path& run_root);
// The scalars of one metrics.jsonl record (see above); "step" and strings are not scalars.
tensorboard::Scalars metrics_scalars(const nlohmann::json& record);

class TensorBoardLog {
 public:
  // Opens <run_root>/tensorboard, dropping events after `resume_step` (0 for a fresh run).
  TensorBoardLog(const fs::path& run_root, int64_t resume_step);
  void write_config(int64_t step, const std::string& config_yaml);
  void write_metrics(const nlohmann::json& record);
  // The frame strips (frames/NNN.png) listed in <sample_dir>/sample.json.
  void write_samples(int64_t step, const fs::path& sample_dir);
  const fs::path& path() const { return writer_.path(); }

 private:
  tensorboard::EventFileWriter writer_;
};

}  // namespace vdf::train
