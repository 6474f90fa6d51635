// `vdf sweep FILE --out DIR [--slurm [--wait]] [--dry-run]`: expands a sweep file (experiments/sweep.h,
// docs/experiments.md) into named runs under DIR, validates every run's config before anything starts,
// then trains them locally one after another or submits them as one SLURM job array. Repeating the
// command skips finished runs and resumes the others.
#include <cstdio>

#include "app/config.h"
#include "experiments/process.h"
#include "experiments/sweep.h"
#include "experiments/sweep_runner.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "tools/vdf/command.h"

namespace {

namespace fs = std::filesystem;

struct SweepOptions {
  std::string file, out;
  bool slurm = false, wait = false, dry_run = false;
};

void run(const SweepOptions& o) {
  using namespace vdf;
  namespace ex = vdf::experiments;
  const ex::SweepSpec spec = ex::load_sweep(o.file);
  const fs::path out = fs::absolute(o.out).lexically_normal();
  // The program's root config validates each run; the experiments library never sees it.
  const ex::ResolveConfig resolve = [](const config::Document& doc) {
    return config::to_yaml(config::bind<config::VdfConfig>(doc));
  };
  const std::vector<ex::SweepRun> runs = ex::expand_sweep(spec, out, resolve);
  const ex::SweepFiles files = ex::sweep_files(out);
  ex::write_sweep_files(spec, runs, files);
  std::printf("sweep %s: %zu runs under %s (configs in %s)\n%s", spec.file.c_str(), runs.size(), out.c_str(),
              files.configs.c_str(), ex::describe_sweep(runs).c_str());
  std::fflush(stdout);
  const fs::path vdf_exe = ex::current_executable();
  if (o.slurm) {
    const ex::ArraySubmission sub = ex::submit_array(spec, runs, files, vdf_exe, o.wait, o.dry_run);
    if (!sub.command.empty()) {
      std::string shown;
      for (const auto& a : sub.command) shown += (shown.empty() ? "" : " ") + a;
      std::printf("%s: %s\n", o.dry_run ? "would submit" : "submitted", shown.c_str());
    }
    if (!sub.job_id.empty()) std::printf("job array %s\n", sub.job_id.c_str());
    for (const auto& name : sub.failed) std::printf("did not finish: %s\n", name.c_str());
    if (!sub.failed.empty()) throw vdf::cli::ExitCode{1};
    return;
  }
  if (o.dry_run) return;
  const ex::LocalOutcome r = ex::run_locally(runs, files, vdf_exe);
  std::printf("sweep: %d trained, %d already finished, %zu failed\n", r.succeeded, r.skipped, r.failed.size());
  for (const auto& name : r.failed) std::printf("failed: %s (log %s)\n", name.c_str(), (files.logs / (name + ".log")).c_str());
  if (!r.failed.empty()) throw vdf::cli::ExitCode{1};
}

void setup(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "Expand a sweep file into runs, validate them all, train them locally or as a SLURM array");
  cmd->add_option("file", o->file, "sweep file (YAML: base, grid, variants, seeds, name; docs/experiments.md)")->required();
  cmd->add_option("--out", o->out, "folder of the runs (<out>/<name>) and the sweep's files (<out>/sweep)")->required();
  cmd->add_flag("--slurm", o->slurm, "submit one SLURM job array (one task per unfinished run) instead of running locally");
  cmd->add_flag("--wait", o->wait, "with --slurm: follow the array until every task has ended (exit code 1 if a run did not finish)");
  cmd->add_flag("--dry-run", o->dry_run, "expand, validate and write the configs (and array.sbatch), start nothing");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(sweep, setup);
