// Running a sweep's runs: locally one after another, or as one SLURM job array (one task per run).
// Both skip finished runs and are safe to repeat: every run is `vdf train --config
// <out>/sweep/configs/<name>.yaml`, which resumes from the run's latest checkpoint.
#pragma once
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace vdf::experiments {

struct LocalOutcome {
  int skipped = 0;                   // already finished
  int succeeded = 0;
  std::vector<std::string> failed;   // names of runs whose `vdf train` failed (the sweep goes on)
};
// Runs the unfinished runs one after another with `vdf_exe`, each one's output in logs/<name>.log.
LocalOutcome run_locally(const std::vector<SweepRun>& runs, const SweepFiles& files, const fs::path& vdf_exe);

// The batch script of the array: task i runs line i of tasks.txt.
std::string array_script(const SlurmSettings& slurm, const SweepFiles& files, const fs::path& vdf_exe,
                         const std::string& job_name);

struct ArraySubmission {
  std::vector<size_t> tasks;         // array indices submitted (the unfinished runs)
  std::vector<std::string> command;  // the sbatch command line
  std::string job_id;                // empty for a dry run or when nothing was left to run
  std::vector<std::string> failed;   // with `wait`: submitted runs that did not finish
};
// Writes <out>/sweep/array.sbatch and submits it with sbatch --array=<unfinished indices> (nothing when
// every run finished). `wait`: follows the array in squeue (a progress line as tasks end) until no task
// is left, then checks which submitted runs finished. `dry_run`: writes the script, submits nothing.
ArraySubmission submit_array(const SweepSpec& spec, const std::vector<SweepRun>& runs, const SweepFiles& files,
                             const fs::path& vdf_exe, bool wait, bool dry_run);

}  // namespace vdf::experiments
