// `vdf compare RUN... --out DIR [--eval REPORT.json ...] [--title TEXT]`: one self-contained HTML page
// comparing training runs (experiments/compare.h, docs/experiments.md): compare.html + compare.json.
#include <cstdio>

#include "experiments/compare.h"
#include "tools/vdf/command.h"

namespace {

struct CompareOptions {
  std::vector<std::string> runs, evals;
  std::string out = "compare_out", title = "vdf compare";
};

void run(const CompareOptions& o) {
  vdf::experiments::CompareRequest req;
  for (const auto& r : o.runs) req.runs.emplace_back(r);
  for (const auto& e : o.evals) req.eval_reports.emplace_back(e);
  req.out = o.out;
  req.title = o.title;
  req.command_line = "vdf compare";
  for (const auto& r : o.runs) req.command_line += " " + vdf::cli::shell_quote(r);
  for (const auto& e : o.evals) req.command_line += " --eval " + vdf::cli::shell_quote(e);
  req.command_line += " --out " + vdf::cli::shell_quote(o.out);
  const auto outcome = vdf::experiments::write_comparison(req);
  std::printf("compared %zu runs (%zu config keys differ)\nreport: %s\n", outcome.run_names.size(),
              outcome.differing_keys.size(), outcome.html.c_str());
}

void setup(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand("compare", "Compare training runs side by side in one HTML page (configs, curves, eval, samples)");
  cmd->add_option("runs", o->runs, "run directories (<run.root>/<run.name>)")->required();
  cmd->add_option("--out", o->out, "output folder for compare.html and compare.json")->capture_default_str();
  cmd->add_option("--eval", o->evals, "a `vdf eval --run-dir` report.json outside the run folders (repeatable)");
  cmd->add_option("--title", o->title, "page title")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(compare, setup);
