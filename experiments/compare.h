// `vdf compare RUN... --out DIR`: one self-contained HTML page (eval/report/html_report.h) that puts
// training runs side by side: every run listed, the config keys that differ, loss and validation curves
// overlaid by step and by samples seen, eval metrics of every run in one table with the weights and
// provenance that produced them, and the sample strips of the same prompt and seed next to each other.
// docs/experiments.md.
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vdf::experiments {

namespace fs = std::filesystem;

struct CompareRequest {
  std::vector<fs::path> runs;          // run directories (config.yaml + metrics.jsonl)
  std::vector<fs::path> eval_reports;  // extra `vdf eval` report.json files (matched to runs by their run_dir)
  fs::path out;                        // output folder: compare.html + compare.json
  std::string title = "vdf compare";
  std::string command_line;
};

struct CompareOutcome {
  fs::path html, json;
  std::vector<std::string> run_names;
  std::vector<std::string> differing_keys;
};

CompareOutcome write_comparison(const CompareRequest& request);

// Dotted key -> value text of every leaf of a YAML map ("train.lr" -> "0.001"; lists as flow YAML).
std::map<std::string, std::string> flatten_config(const YAML::Node& root);
// The keys whose value differs between the configs (or that some lack), sorted.
std::vector<std::string> differing_keys(const std::vector<std::map<std::string, std::string>>& configs);

}  // namespace vdf::experiments
