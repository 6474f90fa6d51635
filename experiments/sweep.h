// Sweeps: one YAML file names a base config and what to vary; `vdf sweep` expands it into named runs,
// each with its resolved config, and validates every one before anything starts. docs/experiments.md.
//
//   base: ../configs/train/tiny_cpu.yaml   # relative to the sweep file
//   set: {train.steps: 200}                 # overrides of every run (optional)
//   grid:                                   # every combination of these values
//     train.lr: [1.0e-3, 3.0e-4]
//     model.depth: [2, 4]
//   variants:                               # explicit runs, in addition to the grid (optional)
//     - {train.lr: 1.0e-2, train.grad_clip: 0.5}
//   seeds: [0, 1]                           # run.seed as one more axis (optional)
//   name: "lr{train.lr}-d{model.depth}-s{seed}"   # run names ({key}: the run's value; default: varied keys)
//   slurm: {cpus_per_task: 4, gpus: 1, time: "04:00:00", partition: gpu, extra: ["--mem=32G"]}
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/document.h"

namespace vdf::experiments {

namespace fs = std::filesystem;

// sbatch settings of `vdf sweep --slurm` (one array task per run).
struct SlurmSettings {
  int cpus_per_task = 1;
  int gpus = 0;                     // --gres=gpu:N per task
  std::string time;                 // --time
  std::string partition;            // --partition
  std::string account;              // --account
  std::vector<std::string> extra;   // further sbatch arguments, as written
};

struct SweepSpec {
  fs::path file;                                          // the sweep file
  fs::path base;                                          // absolute path of the base config
  std::vector<std::pair<std::string, std::string>> set;   // key -> YAML value text, every run
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;  // key -> values (YAML text), file order
  std::vector<std::vector<std::pair<std::string, std::string>>> variants;
  std::vector<int64_t> seeds;
  std::string name_template;                              // empty: names from the varied keys
  SlurmSettings slurm;
};

// Reads a sweep file. Throws vdf::Error naming the file, the key and what was expected.
SweepSpec load_sweep(const fs::path& file);

// One run of a sweep.
struct SweepRun {
  std::string name;
  std::vector<std::pair<std::string, std::string>> varied;  // the swept keys and this run's values (YAML text)
  std::string resolved_yaml;                                // complete config (run.root, run.name set)
  int64_t steps = 0;                                        // train.steps of the run
  fs::path dir;                                             // <out>/<name>
};

// Binds and validates a config document, returning its complete YAML; throws vdf::Error naming the key.
// `vdf sweep` passes the program's root config (app/config.h); libraries never see it.
using ResolveConfig = std::function<std::string(const config::Document&)>;

// Expands `spec` into runs under `out` (absolute), validating each: an invalid variant is refused with
// its name, its swept values and the binding error (key, value, expected). Duplicate names are refused.
std::vector<SweepRun> expand_sweep(const SweepSpec& spec, const fs::path& out, const ResolveConfig& resolve);

// True when <run.dir> has a checkpoint at train.steps or later (the run finished).
bool run_finished(const SweepRun& run);

// The sweep's own files under <out>/sweep/: sweep.yaml (the sweep file as read), runs.json (name, swept
// values, config, run dir), configs/<name>.yaml (resolved), tasks.txt (array index -> name), logs/.
struct SweepFiles {
  fs::path root, manifest, configs, tasks, logs, sbatch;
  fs::path config_of(const std::string& name) const { return configs / (name + ".yaml"); }
};
SweepFiles sweep_files(const fs::path& out);
void write_sweep_files(const SweepSpec& spec, const std::vector<SweepRun>& runs, const SweepFiles& files);

// Text table of the runs (name, swept values, status), for --dry-run and the log.
std::string describe_sweep(const std::vector<SweepRun>& runs);

}  // namespace vdf::experiments
