// `vdf eval` as a library: generated clips vs reference clips or statistics → FID, IS, FVD, CLIP score,
// written as report.json (machines) and report.html (people). Every metric carries its provenance.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "eval/config.h"

namespace vdf::eval {

struct EvalRequest {
  std::filesystem::path generated;                 // folder of clips (or images)
  std::vector<std::filesystem::path> references;   // folders of clips and/or .safetensors statistics files
  std::filesystem::path prompts;                   // prompts file (.txt one per line in clip order, or .jsonl)
  std::filesystem::path out;                       // output folder
  std::filesystem::path run_dir;                   // optional run dir with metrics.jsonl (plots)
  std::filesystem::path recipe_dir;                // folder with {inception_fid,i3d,clip}/keys.txt for "recipe"
  std::string command_line;
  config::EvalConfig config;
};

struct EvalOutcome {
  nlohmann::json report;
  std::filesystem::path json_path, html_path;
};

EvalOutcome run_eval(const EvalRequest& request);

// Reads metrics.jsonl (one JSON object per line; framework/core/jsonl.h, bad lines skipped with a warning)
// into series keyed by field name, x = "step" (or line index).
std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> read_metrics_jsonl(
    const std::filesystem::path& path);

}  // namespace vdf::eval
