// `vdf attributes --samples LABEL=DIR [--samples LABEL=DIR ...] [--run-dir RUN_DIR] [--metrics REPORT_JSON]
//  --out DIR`: checks the clips of `vdf sample` output folders against their prompts with the synthetic
// shapes attribute checker (colour, shape, direction measured from pixels), and writes DIR/attributes.json
// and DIR/report.html (accuracy per set, per prompt, frame strips side by side, the training loss curve of
// RUN_DIR, and the metric table of a `vdf eval` report.json). This is the quickstart's report.
#ifdef VDF_WITH_VIDEO
#include <fmt/format.h>

#include <iostream>

#include "eval/attributes/attribute_report.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/video/decoder.h"
#include "tools/vdf/command.h"
#include "train/run_dir.h"

namespace {

namespace fs = std::filesystem;

struct AttributesOptions {
  std::vector<std::string> samples;
  std::string run_dir, metrics_json, out, title = "vdf quickstart";
  double min_joint = -1;
};

vdf::eval::SampleSet load_set(const std::string& spec) {
  using namespace vdf;
  const auto eq = spec.find('=');
  VDF_CHECK(eq != std::string::npos && eq > 0, "--samples '{}': expected LABEL=DIR (a vdf sample output folder)", spec);
  eval::SampleSet set;
  set.label = spec.substr(0, eq);
  const fs::path dir = spec.substr(eq + 1);
  set.source = dir.string();
  const fs::path info_file = dir / "sample.json";
  VDF_CHECK(fs::exists(info_file), "--samples {}: {} does not exist (expected the output folder of vdf sample)", spec,
            info_file.string());
  const auto info = nlohmann::json::parse(read_file(info_file));
  for (const auto& out : info.at("outputs")) {
    VDF_CHECK(out.contains("video"), "{}: sample '{}' has no video (vdf sample built without video I/O?)",
              info_file.string(), out.value("prompt", ""));
    const fs::path video = dir / out.at("video").get<std::string>();
    torch::Tensor frames = video::decode_video(video.string()).frames;
    set.results.push_back(eval::check_attributes(frames, out.at("prompt").get<std::string>()));
    set.clips.push_back(frames);
  }
  return set;
}

void add_run_sections(vdf::eval::report::HtmlReport& html, const fs::path& run) {
  std::vector<vdf::eval::report::Series> loss = {{"train loss", {}, {}}}, val = {{"validation loss", {}, {}}};
  for (const auto& j : vdf::train::read_metrics(run / "metrics.jsonl")) {
    if (j.value("kind", "") == "train") {
      loss[0].x.push_back(j.at("step").get<double>());
      loss[0].y.push_back(j.at("loss").get<double>());
    } else if (j.value("kind", "") == "val" && j.contains("val_loss")) {
      val[0].x.push_back(j.at("step").get<double>());
      val[0].y.push_back(j.at("val_loss").get<double>());
    }
  }
  html.add_line_plot("Training loss (" + run.string() + ")", loss, "step", "loss");
  if (!val[0].x.empty()) html.add_line_plot("Held-out validation loss", val, "step", "loss");
}

// The metric table of a `vdf eval` report.json, with each metric's provenance and warnings.
void add_eval_metrics(vdf::eval::report::HtmlReport& html, const fs::path& path) {
  const auto rep = nlohmann::json::parse(vdf::read_file(path));
  std::vector<vdf::eval::report::MetricRow> rows;
  if (rep.contains("metrics"))
    for (const auto& [name, m] : rep["metrics"].items()) {
      vdf::eval::report::MetricRow row;
      row.name = name;
      row.value = m.contains("value") && m["value"].is_number() ? fmt::format("{:.4f}", m["value"].get<double>())
                                                                : m.value("value", nlohmann::json()).dump();
      for (const auto& [k, v] : m.items())
        if (k != "value" && k != "warning" && !v.is_object() && !v.is_array())
          row.provenance.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      row.warning = m.value("warning", "");
      rows.push_back(row);
    }
  html.add_metric_table("Distribution metrics (vdf eval: " + path.string() + ")", rows);
}

void run(const AttributesOptions& o) {
  using namespace vdf;
  VDF_CHECK(!o.samples.empty(), "give at least one --samples LABEL=DIR");
  std::vector<eval::SampleSet> sets;
  for (const auto& spec : o.samples) sets.push_back(load_set(spec));
  fs::create_directories(o.out);
  const nlohmann::json j = attribute_json(sets);
  write_file_atomic(fs::path(o.out) / "attributes.json", j.dump(2) + "\n");

  eval::report::HtmlReport html(o.title);
  html.add_paragraph("Clips generated for prompts, checked by measuring colour, shape and direction of motion from "
                     "their pixels (eval/attributes/attribute_check.h; >= 98% right on real dataset clips).");
  eval::add_attribute_sections(html, sets);
  if (!o.metrics_json.empty()) add_eval_metrics(html, o.metrics_json);
  if (!o.run_dir.empty()) add_run_sections(html, o.run_dir);
  html.write(fs::path(o.out) / "report.html");

  for (const auto& set : sets) {
    const auto s = eval::summarize(set.results);
    std::cout << fmt::format("{:<10} {} clips: colour {:.1f}%  shape {:.1f}%  direction {:.1f}%  joint {:.1f}%\n",
                             set.label, s.count, 100 * s.color_accuracy, 100 * s.shape_accuracy,
                             100 * s.direction_accuracy, 100 * s.joint_accuracy);
  }
  std::cout << "report: " << (fs::path(o.out) / "report.html").string() << "\n";
  if (o.min_joint >= 0) {
    const auto s = eval::summarize(sets.front().results);
    VDF_CHECK(s.joint_accuracy >= o.min_joint, "{}: joint attribute accuracy {:.3f} is below --min-joint {:.3f}",
              sets.front().label, s.joint_accuracy, o.min_joint);
  }
}

void setup(CLI::App& app) {
  auto o = std::make_shared<AttributesOptions>();
  auto* cmd = app.add_subcommand("attributes",
                                 "Check generated shapes clips against their prompts; attributes.json + report.html");
  cmd->add_option("--samples", o->samples, "LABEL=DIR: a vdf sample output folder (repeatable)")->required();
  cmd->add_option("--run-dir", o->run_dir, "run directory: adds its loss curves to the report");
  cmd->add_option("--metrics", o->metrics_json, "a vdf eval report.json: adds its metric table to the report");
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--title", o->title, "report title");
  cmd->add_option("--min-joint", o->min_joint, "exit non-zero when the first set's joint accuracy is below this");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(attributes, setup);
#endif
