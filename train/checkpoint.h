// Training checkpoints: one directory per checkpoint, written atomically.
//
//   <run>/checkpoints/step_0000100/
//       model.safetensors      model weights (parameters + buffers, fp32), loadable by anyone
//       ema.safetensors        EMA weights, same keys as model.safetensors (used for sampling)
//       optimizer.safetensors  AdamW moments "exp_avg.<param>", "exp_avg_sq.<param>" (ddp: rank 0 writes it)
//       optimizer.rank00001.safetensors   zero2/zero3: rank 1's moments of its pieces of the flat master
//                              shard, "exp_avg.<param>@<begin>:<end>" (elements of the flattened
//                              parameter); every rank writes its own, any world size / strategy reads
//                              them back (reshard_optimizer_state)
//       rng.safetensors        generator states (uint8): "cpu" (torch global CPU), "cuda.<i>"
//       state.json             step, optimizer step count, data-sampler position, lr, counters, format
//       config.yaml            the resolved config that produced this checkpoint
//       manifest.json          bytes and SHA-256 of every other file (written last): a truncated or
//                              silently corrupted file is detected on resume (verify_checkpoint)
//   <run>/checkpoints/latest   text file "step_0000100\n", replaced atomically after the directory exists
//
// A checkpoint is written into "checkpoints/.tmp-step_0000100/" (by every rank when the optimizer is
// sharded, with barriers between the phases), every file fsync'd, then rank 0 hashes the files, and the
// directory is renamed to its final name (rename is atomic) and the parent fsync'd; a reader therefore
// never sees a partial step_* directory. Older checkpoints beyond keep_last are deleted afterwards.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "train/bucket_sampler.h"
#include "framework/tensor_io/weights.h"

namespace vdf::train {

namespace fs = std::filesystem;
using tensor_io::TensorMap;
using tensor_io::to_cpu;

inline constexpr int kCheckpointFormat = 2;  // 2: manifest.json, optimizer shards, global_batches

struct CheckpointState {
  int64_t step = 0;             // optimizer steps done (incl. skipped ones)
  int64_t optimizer_steps = 0;  // AdamW bias-correction counter (non-skipped updates)
  int64_t skipped_total = 0;
  int64_t consumed_samples = 0; // global samples consumed
  SamplerPosition sampler;
  double lr = 0;
  int world_size = 1;
  std::map<std::string, int64_t> global_batches;  // bucket -> global batch size (empty in format 1)
  std::string config_yaml;
  TensorMap model, ema, optimizer, rng;
};

std::string checkpoint_name(int64_t step);  // "step_0000100"

// Who writes what: rank 0 writes everything but sharded optimizer state, which every rank writes for its
// own pieces. All ranks call save_checkpoint; `barrier` orders the phases (no-op for one process).
struct CheckpointWriter {
  int rank = 0;
  bool sharded_optimizer = false;
  std::function<void()> barrier;
};

// Writes `state` into <checkpoints_root>/step_NNNNNNN atomically (an existing directory of that name is
// replaced), updates `latest`, removes checkpoints beyond `keep_last`. Returns the directory. Ranks other
// than 0 pass only their optimizer tensors (when sharded) and the step.
fs::path save_checkpoint(const fs::path& checkpoints_root, const CheckpointState& state, int64_t keep_last,
                         const CheckpointWriter& writer = {});

// Empty when every file named in `dir`/manifest.json has its recorded size and SHA-256, else what is
// wrong, naming the file ("model.safetensors: 1024 bytes, manifest says 4096 (truncated)"). A format-1
// checkpoint (no manifest) is reported intact.
std::string verify_checkpoint(const fs::path& dir);
// The checkpoint to resume from: `explicit_dir` when non-empty (a path, or a name under the root such as
// "step_0000100"; it must be intact), else the newest intact one under the root, with a warning naming
// each damaged newer checkpoint and file. nullopt when there is none.
std::optional<fs::path> choose_resume_checkpoint(const fs::path& checkpoints_root, const std::string& explicit_dir);

// The newest complete checkpoint under <checkpoints_root>: the one `latest` names, or else the highest
// step_* directory (`latest` can lag behind by one if a process died between the two renames).
std::optional<fs::path> find_latest_checkpoint(const fs::path& checkpoints_root);
// Lists complete checkpoints, oldest first.
std::vector<fs::path> list_checkpoints(const fs::path& checkpoints_root);
// Removes ".tmp-*" leftovers of interrupted writes.
void remove_checkpoint_temporaries(const fs::path& checkpoints_root);

// state.json and config.yaml only (no tensors).
CheckpointState read_checkpoint_state(const fs::path& dir);
// Reads a checkpoint directory. With weights_only, only model/ema/state.json/config.yaml are read.
CheckpointState load_checkpoint(const fs::path& dir, bool weights_only = false);

// The optimizer state a rank needs from what a checkpoint holds, whatever world size and strategy wrote
// it: `saved` has "exp_avg.<p>" / "exp_avg_sq.<p>" tensors, <p> a parameter name (whole tensor) or a
// piece "<param>@<b>:<e>"; they are consolidated per parameter (shapes from `model`, the checkpoint's
// weights) and cut into `wanted` names (whole parameters or pieces). A parameter whose saved pieces do
// not cover it exactly is an error naming it.
TensorMap reshard_optimizer_state(const TensorMap& saved, const TensorMap& model,
                                  const std::vector<std::string>& wanted);

// RNG state of the process (torch global CPU generator, and each CUDA device's when available).
TensorMap capture_rng_state();
void restore_rng_state(const TensorMap& rng);

}  // namespace vdf::train
