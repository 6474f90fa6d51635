#include "experiments/compare.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "eval/report/html_report.h"
#include "eval/report/png.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/jsonl.h"
#include "framework/core/log.h"
#include "framework/core/progress.h"
#include "vdf/version.h"

namespace vdf::experiments {

using nlohmann::json;
namespace report = eval::report;

namespace {

void compare_flatten(const std::string& prefix, const YAML::Node& node, std::map<std::string, std::string>* out) {
  if (node.IsMap()) {
    for (const auto& kv : node)
      compare_flatten(prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>(), kv.second,
                      out);
    return;
  }
  if (node.IsScalar()) {
    (*out)[prefix] = node.Scalar();
    return;
  }
  YAML::Emitter em;
  em.SetMapFormat(YAML::Flow);
  em.SetSeqFormat(YAML::Flow);
  em << node;
  (*out)[prefix] = em.c_str();
}

struct EvalEntry {
  fs::path file;
  json report;
};

struct SampleStrip {
  std::string src;  // data URI
  int64_t step = 0;
};

// Everything the page shows about one run.
struct RunData {
  std::string name;
  fs::path dir;
  std::map<std::string, std::string> config;
  std::vector<json> metrics;
  std::vector<EvalEntry> evals;
  std::map<std::pair<std::string, int64_t>, SampleStrip> strips;  // (prompt, seed) -> latest strip
  int64_t sample_step = -1;
};

// The newest samples/step_* folder that has a sample.json.
void compare_read_samples(RunData& run) {
  const fs::path samples = run.dir / "samples";
  std::error_code ec;
  if (!fs::is_directory(samples, ec)) return;
  std::vector<fs::path> steps;
  for (const auto& e : fs::directory_iterator(samples))
    if (e.is_directory() && fs::exists(e.path() / "sample.json")) steps.push_back(e.path());
  if (steps.empty()) return;
  std::sort(steps.begin(), steps.end());
  const fs::path dir = steps.back();
  const json info = json::parse(read_file(dir / "sample.json"), nullptr, false);
  if (!info.is_object()) return;
  run.sample_step = info.value("step", int64_t{-1});
  for (const auto& o : info.value("outputs", json::array())) {
    if (!o.contains("strip")) continue;
    const fs::path png = dir / o["strip"]["file"].get<std::string>();
    if (!fs::exists(png, ec)) continue;
    run.strips[{o.value("prompt", std::string()), o.value("seed", int64_t{0})}] = {
        "data:image/png;base64," + report::base64(read_file(png)), run.sample_step};
  }
}

// report.json files of `vdf eval` inside the run folder (any depth up to 3).
void compare_find_evals(RunData& run) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(run.dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it.depth() > 3 || it->path().filename() == "checkpoints") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() == "report.json") {
      json j = json::parse(read_file(it->path()), nullptr, false);
      if (j.is_object() && j.contains("metrics")) run.evals.push_back({it->path(), std::move(j)});
    }
  }
}

std::string compare_number(const json& v) {
  if (!v.is_number()) return v.is_string() ? v.get<std::string>() : v.dump();
  return fmt::format("{:.6g}", v.get<double>());
}

// (x, y) series of one metrics field of one kind, x = step or samples seen.
report::Series compare_series(const RunData& run, const std::string& kind, const std::string& field, bool by_samples) {
  report::Series s;
  s.name = run.name;
  for (const auto& r : run.metrics) {
    if (r.value("kind", std::string()) != kind || !r.contains(field) || !r[field].is_number()) continue;
    const double step = r.value("step", 0.0);
    double x = step;
    if (by_samples) {
      if (!r.contains("samples_seen")) continue;  // runs from before vdf recorded it
      x = r["samples_seen"].get<double>();
    }
    s.x.push_back(x);
    s.y.push_back(r[field].get<double>());
  }
  return s;
}

}  // namespace

std::map<std::string, std::string> flatten_config(const YAML::Node& root) {
  std::map<std::string, std::string> out;
  compare_flatten("", root, &out);
  return out;
}

std::vector<std::string> differing_keys(const std::vector<std::map<std::string, std::string>>& configs) {
  std::set<std::string> keys;
  for (const auto& c : configs)
    for (const auto& [k, v] : c) keys.insert(k);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    std::set<std::string> values;
    size_t present = 0;
    for (const auto& c : configs) {
      auto it = c.find(k);
      if (it != c.end()) values.insert(it->second), ++present;
    }
    if (values.size() > 1 || present != configs.size()) out.push_back(k);
  }
  return out;
}

CompareOutcome write_comparison(const CompareRequest& req) {
  VDF_CHECK(!req.runs.empty(), "compare: no run directories given");
  std::vector<RunData> runs;
  ProgressBar bar("compare: reading runs", static_cast<int64_t>(req.runs.size()), "run", 0.0);
  std::set<std::string> used_names;
  for (const auto& dir_in : req.runs) {
    RunData run;
    run.dir = fs::absolute(dir_in).lexically_normal();
    if (run.dir.filename().empty()) run.dir = run.dir.parent_path();
    with_context(fmt::format("compare: run {}", run.dir.string()), [&] {
      VDF_CHECK(fs::exists(run.dir / "config.yaml"), "not a run directory (no config.yaml)");
      run.name = run.dir.filename().string();
      if (used_names.count(run.name)) run.name = run.dir.parent_path().filename().string() + "/" + run.name;
      VDF_CHECK(used_names.insert(run.name).second, "given twice");
      run.config = flatten_config(YAML::LoadFile((run.dir / "config.yaml").string()));
      run.metrics = read_metrics(run.dir / "metrics.jsonl");
      compare_read_samples(run);
      compare_find_evals(run);
    });
    runs.push_back(std::move(run));
    bar.advance();
  }
  bar.finish();
  for (const auto& file : req.eval_reports) {
    json j = with_context(fmt::format("compare: eval report {}", file.string()), [&] {
      json r = json::parse(read_file(file));
      VDF_CHECK(r.contains("run_dir"), "it names no run (written by `vdf eval` without --run-dir)");
      return r;
    });
    const fs::path run_dir = fs::path(j["run_dir"].get<std::string>()).lexically_normal();
    auto it = std::find_if(runs.begin(), runs.end(), [&](const RunData& r) { return r.dir == run_dir; });
    VDF_CHECK(it != runs.end(), "compare: eval report {} belongs to run {}, which is not compared", file.string(),
              run_dir.string());
    const fs::path abs = fs::absolute(file).lexically_normal();
    if (std::none_of(it->evals.begin(), it->evals.end(), [&](const EvalEntry& e) { return fs::absolute(e.file).lexically_normal() == abs; }))
      it->evals.push_back({file, std::move(j)});
  }

  CompareOutcome outcome;
  std::vector<std::map<std::string, std::string>> configs;
  for (const auto& r : runs) configs.push_back(r.config), outcome.run_names.push_back(r.name);
  outcome.differing_keys = differing_keys(configs);

  report::HtmlReport html(fmt::format("{}: {} runs", req.title, runs.size()));
  html.add_key_values("Comparison", {{"runs", std::to_string(runs.size())},
                                     {"vdf", std::string(VDF_VERSION) + " (git " + VDF_GIT_REVISION + ")"},
                                     {"command", req.command_line}});
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    std::string last_step = "-", samples = "-", loss = "-", val = "-";
    for (const auto& m : r.metrics) {
      if (m.value("kind", std::string()) == "train") {
        last_step = compare_number(m["step"]);
        if (m.contains("loss")) loss = compare_number(m["loss"]);
        if (m.contains("samples_seen")) samples = compare_number(m["samples_seen"]);
      } else if (m.value("kind", std::string()) == "val" && m.contains("val_loss")) {
        val = compare_number(m["val_loss"]);
      }
    }
    rows.push_back({r.name, r.dir.string(), last_step, samples, loss, val, std::to_string(r.evals.size())});
  }
  html.add_table("Runs", {"run", "directory", "last step", "samples seen", "last loss", "last validation loss", "eval reports"},
                 rows, "runs");

  if (outcome.differing_keys.empty()) {
    html.add_paragraph("The runs' configs are identical.");
  } else {
    std::vector<std::string> header = {"config key"};
    for (const auto& r : runs) header.push_back(r.name);
    std::vector<std::vector<std::string>> diff;
    for (const auto& k : outcome.differing_keys) {
      std::vector<std::string> row = {k};
      for (const auto& r : runs) {
        auto it = r.config.find(k);
        row.push_back(it == r.config.end() ? "(not set)" : it->second);
      }
      diff.push_back(std::move(row));
    }
    html.add_table("Config keys that differ", header, diff, "config-diff");
  }

  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> curves = {
      {"Training loss", "train", "loss", "loss"}, {"Validation loss", "val", "val_loss", "validation loss"}};
  for (const auto& [title, kind, field, label] : curves) {
    for (bool by_samples : {false, true}) {
      std::vector<report::Series> series;
      for (const auto& r : runs) {
        report::Series s = compare_series(r, kind, field, by_samples);
        if (!s.x.empty()) series.push_back(std::move(s));
      }
      if (series.empty()) continue;
      html.add_line_plot(title + (by_samples ? " by samples seen" : " by step"), series, by_samples ? "samples seen" : "step",
                         label);
    }
  }

  std::vector<report::MetricRow> metric_rows;
  for (const auto& r : runs)
    for (const auto& e : r.evals)
      for (auto it = e.report["metrics"].begin(); it != e.report["metrics"].end(); ++it) {
        report::MetricRow row;
        const std::string step = e.report.contains("step") ? fmt::format(" @ step {}", e.report["step"].dump()) : "";
        row.name = fmt::format("{} — {}{}", r.name, it.key(), step);
        row.value = it.value().contains("value") ? compare_number(it.value()["value"]) : "-";
        if (it.value().contains("provenance"))
          for (auto p = it.value()["provenance"].begin(); p != it.value()["provenance"].end(); ++p)
            row.provenance.emplace_back(p.key(), p.value().is_string() ? p.value().get<std::string>() : p.value().dump());
        row.provenance.emplace_back("report", e.file.string());
        for (const auto& w : it.value().value("warnings", json::array()))
          row.warning += (row.warning.empty() ? "" : "; ") + w.get<std::string>();
        metric_rows.push_back(std::move(row));
      }
  if (metric_rows.empty())
    html.add_paragraph("No eval reports found (vdf eval --run-dir RUN writes report.json; pass them with --eval or keep "
                       "them inside the run folder).");
  else
    html.add_metric_table("Eval metrics", metric_rows);

  // Sample strips: one row per (prompt, seed), one column per run.
  std::set<std::pair<std::string, int64_t>> keys;
  for (const auto& r : runs)
    for (const auto& [k, s] : r.strips) keys.insert(k);
  if (keys.empty()) {
    html.add_paragraph("No sample strips (train.sample_every with train.sample_prompts writes them).");
  } else {
    const std::string missing = report::png_data_uri(torch::full({8, 32, 3}, 200, torch::kUInt8));
    std::vector<report::GridImage> grid;
    for (const auto& k : keys)
      for (const auto& r : runs) {
        auto it = r.strips.find(k);
        if (it == r.strips.end())
          grid.push_back({missing, fmt::format("{}: no sample of '{}' (seed {})", r.name, k.first, k.second)});
        else
          grid.push_back({it->second.src, fmt::format("{} — step {} — '{}' (seed {})", r.name, it->second.step, k.first, k.second)});
      }
    html.add_image_grid("Samples: the same prompt and seed, one column per run (each run's latest samples)", grid,
                        static_cast<int>(runs.size()));
  }

  fs::create_directories(req.out);
  outcome.html = req.out / "compare.html";
  outcome.json = req.out / "compare.json";
  html.write(outcome.html);
  json summary = {{"runs", json::array()}, {"differing_keys", outcome.differing_keys}, {"command", req.command_line}};
  for (const auto& r : runs) {
    json evals = json::array();
    for (const auto& e : r.evals) evals.push_back(e.file.string());
    summary["runs"].push_back({{"name", r.name}, {"dir", r.dir.string()}, {"eval_reports", evals},
                               {"sample_step", r.sample_step}, {"metrics_lines", r.metrics.size()}});
  }
  write_file_atomic(outcome.json, summary.dump(2) + "\n");
  VDF_INFO("compare: wrote {} ({} runs, {} differing config keys)", outcome.html.string(), runs.size(),
           outcome.differing_keys.size());
  return outcome;
}

}  // namespace vdf::experiments
