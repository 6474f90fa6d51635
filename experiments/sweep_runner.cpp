#include "experiments/sweep_runner.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "experiments/process.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/core/progress.h"

namespace vdf::experiments {

LocalOutcome run_locally(const std::vector<SweepRun>& runs, const SweepFiles& files, const fs::path& vdf_exe) {
  LocalOutcome outcome;
  ProgressBar bar("sweep", static_cast<int64_t>(runs.size()), "run", 0.0);
  for (size_t i = 0; i < runs.size(); ++i) {
    const SweepRun& run = runs[i];
    if (run_finished(run)) {
      VDF_INFO("sweep: run {}/{} '{}' already finished (step {}): skipped", i + 1, runs.size(), run.name, run.steps);
      outcome.skipped += 1;
      bar.advance();
      continue;
    }
    const fs::path log = files.logs / (run.name + ".log");
    VDF_INFO("sweep: run {}/{} '{}' starting (log {})", i + 1, runs.size(), run.name, log.string());
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run_process_logged({vdf_exe.string(), "train", "--config", files.config_of(run.name).string()}, log);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc == 0) {
      outcome.succeeded += 1;
      VDF_INFO("sweep: run {}/{} '{}' finished in {}", i + 1, runs.size(), run.name, ProgressBar::format_duration(seconds));
    } else {
      outcome.failed.push_back(run.name);
      VDF_ERROR("sweep: run {}/{} '{}' failed (exit code {}) after {}; see {}", i + 1, runs.size(), run.name, rc,
                ProgressBar::format_duration(seconds), log.string());
    }
    bar.advance();
    bar.set_postfix(fmt::format("{} failed", outcome.failed.size()));
  }
  bar.finish();
  return outcome;
}

std::string array_script(const SlurmSettings& slurm, const SweepFiles& files, const fs::path& vdf_exe,
                         const std::string& job_name) {
  std::string s = "#!/usr/bin/env bash\n";
  s += "# Written by `vdf sweep --slurm` (docs/experiments.md): array task i trains the run on line i (from 0)\n";
  s += "# of tasks.txt; each run resumes from its latest checkpoint, so a task can simply be resubmitted.\n";
  s += "#SBATCH --job-name=" + job_name + "\n";
  s += "#SBATCH --ntasks=1\n";
  s += fmt::format("#SBATCH --cpus-per-task={}\n", slurm.cpus_per_task);
  s += "#SBATCH --output=" + (files.logs / "%x-%A_%a.out").string() + "\n";
  if (slurm.gpus > 0) s += fmt::format("#SBATCH --gres=gpu:{}\n", slurm.gpus);
  if (!slurm.time.empty()) s += "#SBATCH --time=" + slurm.time + "\n";
  if (!slurm.partition.empty()) s += "#SBATCH --partition=" + slurm.partition + "\n";
  if (!slurm.account.empty()) s += "#SBATCH --account=" + slurm.account + "\n";
  for (const auto& e : slurm.extra) s += "#SBATCH " + e + "\n";
  s += "set -euo pipefail\n";
  s += "VDF=${VDF:-" + vdf_exe.string() + "}\n";
  s += "export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}\n";
  s += "mapfile -t runs < '" + files.tasks.string() + "'\n";
  s += "name=${runs[$SLURM_ARRAY_TASK_ID]}\n";
  s += "echo \"vdf sweep: job ${SLURM_ARRAY_JOB_ID} task ${SLURM_ARRAY_TASK_ID} on $(hostname): run $name\"\n";
  s += "exec \"$VDF\" train --config '" + files.configs.string() + "/'\"$name\".yaml\n";
  return s;
}

namespace {
// Array tasks of `job_id` still pending or running (squeue -r lists one line per task); -1 when squeue fails.
int sweep_tasks_left(const std::string& job_id) {
  int rc = 0;
  const std::string out = run_process_captured({"squeue", "-h", "-r", "-j", job_id, "-o", "%i"}, &rc);
  if (rc != 0) return out.find("Invalid job id") != std::string::npos ? 0 : -1;  // purged: ended long ago
  int n = 0;
  for (char c : out) n += c == '\n';
  return n;
}
}  // namespace

ArraySubmission submit_array(const SweepSpec& spec, const std::vector<SweepRun>& runs, const SweepFiles& files,
                             const fs::path& vdf_exe, bool wait, bool dry_run) {
  ArraySubmission sub;
  for (size_t i = 0; i < runs.size(); ++i)
    if (!run_finished(runs[i])) sub.tasks.push_back(i);
  const std::string job_name = "vdf-sweep-" + spec.file.stem().string();
  write_file_atomic(files.sbatch, array_script(spec.slurm, files, vdf_exe, job_name));
  fs::permissions(files.sbatch, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  if (sub.tasks.empty()) {
    VDF_INFO("sweep: all {} runs finished; nothing to submit", runs.size());
    return sub;
  }
  std::string indices;
  for (size_t t : sub.tasks) indices += (indices.empty() ? "" : ",") + std::to_string(t);
  sub.command = {"sbatch", "--parsable", "--array=" + indices, files.sbatch.string()};
  std::string shown;
  for (const auto& a : sub.command) shown += (shown.empty() ? "" : " ") + a;
  if (dry_run) {
    VDF_INFO("sweep: dry run; would submit {} of {} runs: {}", sub.tasks.size(), runs.size(), shown);
    return sub;
  }
  VDF_INFO("sweep: submitting {} of {} runs ({} finished): {}", sub.tasks.size(), runs.size(),
           runs.size() - sub.tasks.size(), shown);
  int rc = 0;
  const std::string out = run_process_captured(sub.command, &rc);
  // --parsable prints "<job id>[;cluster]" on its first line.
  const std::string first = out.substr(0, out.find('\n'));
  sub.job_id = first.substr(0, first.find(';'));
  if (rc != 0 || sub.job_id.empty() || sub.job_id.find_first_not_of("0123456789") != std::string::npos)
    fail("sbatch failed (exit code {}): {}", rc, out);
  VDF_INFO("sweep: job array {} ({} tasks); task output in {}", sub.job_id, sub.tasks.size(), files.logs.string());
  if (!wait) {
    VDF_INFO("sweep: follow it with `squeue -j {}`; run the same command again to resubmit what did not finish", sub.job_id);
    return sub;
  }
  ProgressBar bar("sweep: array " + sub.job_id, static_cast<int64_t>(sub.tasks.size()), "task", 30.0);
  int64_t ended = 0;
  int failures = 0;
  while (true) {
    const int left = sweep_tasks_left(sub.job_id);
    if (left < 0) {
      VDF_CHECK(++failures < 10, "squeue keeps failing for job {}; is SLURM reachable?", sub.job_id);
    } else {
      const int64_t now_ended = static_cast<int64_t>(sub.tasks.size()) - left;
      if (now_ended > ended) bar.advance(now_ended - ended), ended = now_ended;
      if (left == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  bar.finish();
  for (size_t t : sub.tasks)
    if (!run_finished(runs[t])) sub.failed.push_back(runs[t].name);
  if (sub.failed.empty())
    VDF_INFO("sweep: job array {} ended; all {} submitted runs finished", sub.job_id, sub.tasks.size());
  else
    VDF_ERROR("sweep: job array {} ended; {} of {} submitted runs did not finish (see {})", sub.job_id, sub.failed.size(),
              sub.tasks.size(), files.logs.string());
  return sub;
}

}  // namespace vdf::experiments
