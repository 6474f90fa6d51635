// Training checkpoints: one directory per checkpoint, written atomically.
//
//   <run>/checkpoints/step_0000100/
//       model.safetensors      model weights (parameters + buffers, fp32), loadable by anyone
//       ema.safetensors        EMA weights, same keys as model.safetensors (used for sampling)
//       optimizer.safetensors  AdamW moments "exp_avg.<param>", "exp_avg_sq.<param>"
//       rng.safetensors        generator states (uint8): "cpu" (torch global CPU), "cuda.<i>"
//       state.json             step, optimizer step count, data-sampler position, lr, counters, format
//       config.yaml            the resolved config that produced this checkpoint
//   <run>/checkpoints/latest   text file "step_0000100\n", replaced atomically after the directory exists
//
// A checkpoint is written into "checkpoints/.tmp-step_0000100-<pid>/", every file fsync'd, then the
// directory is renamed to its final name (rename is atomic) and the parent fsync'd; a reader therefore
// never sees a partial step_* directory. Older checkpoints beyond keep_last are deleted afterwards.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "train/bucket_sampler.h"
#include "framework/tensor_io/weights.h"

namespace vdf::train {

namespace fs = std::filesystem;
using tensor_io::TensorMap;
using tensor_io::to_cpu;

inline constexpr int kCheckpointFormat = 1;

struct CheckpointState {
  int64_t step = 0;             // optimizer steps done (incl. skipped ones)
  int64_t optimizer_steps = 0;  // AdamW bias-correction counter (non-skipped updates)
  int64_t skipped_total = 0;
  int64_t consumed_samples = 0; // global samples consumed
  SamplerPosition sampler;
  double lr = 0;
  int world_size = 1;
  std::string config_yaml;
  TensorMap model, ema, optimizer, rng;
};

std::string checkpoint_name(int64_t step);  // "step_0000100"

// Writes `state` into <checkpoints_root>/step_NNNNNNN atomically (an existing directory of that name is
// replaced), updates `latest`, removes checkpoints beyond `keep_last`. Returns the directory.
fs::path save_checkpoint(const fs::path& checkpoints_root, const CheckpointState& state, int64_t keep_last);

// The newest complete checkpoint under <checkpoints_root>: the one `latest` names, or else the highest
// step_* directory (`latest` can lag behind by one if a process died between the two renames).
std::optional<fs::path> find_latest_checkpoint(const fs::path& checkpoints_root);
// Lists complete checkpoints, oldest first.
std::vector<fs::path> list_checkpoints(const fs::path& checkpoints_root);
// Removes ".tmp-*" leftovers of interrupted writes.
void remove_checkpoint_temporaries(const fs::path& checkpoints_root);

// Reads a checkpoint directory. With weights_only, only model/ema/state.json/config.yaml are read.
CheckpointState load_checkpoint(const fs::path& dir, bool weights_only = false);

// RNG state of the process (torch global CPU generator, and each CUDA device's when available).
TensorMap capture_rng_state();
void restore_rng_state(const TensorMap& rng);

}  // namespace vdf::train
