// The quickstart's evaluation of generated clips by their attributes: several labelled sets of samples
// (e.g. "trained" and "untrained", each a `vdf sample` output folder) checked against their prompts,
// summarized as JSON and as sections of an HTML report (accuracy table, per-prompt table, frame strips
// of each set side by side). Used by `vdf attributes` (tools/vdf/cmd_attributes.cpp).
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "eval/attributes/attribute_check.h"
#include "eval/report/html_report.h"

namespace vdf::eval {

struct SampleSet {
  std::string label;                  // "trained", "untrained", ...
  std::string source;                 // where the samples came from (folder), for provenance
  std::vector<AttributeResult> results;
  std::vector<torch::Tensor> clips;   // uint8 [T,H,W,3], one per result (same order)
};

// {"sets": {label: {summary..., "samples": [...]}}}; accuracies are fractions in [0,1].
nlohmann::json attribute_json(const std::vector<SampleSet>& sets);
// Accuracy table (one row per set), per-prompt joint accuracy table, and a frame strip (first, middle and
// last frame side by side) of up to `max_strips` samples of every set, same samples in the same order.
void add_attribute_sections(report::HtmlReport& html, const std::vector<SampleSet>& sets, int max_strips = 16);
// The frames t = 0, T/2, T-1 of a clip side by side: uint8 [H, 3W + 2*gap, 3] (white gaps).
torch::Tensor frame_strip(const torch::Tensor& clip_thwc_u8, int gap = 2);

}  // namespace vdf::eval
