#include "eval/attributes/attribute_report.h"

#include <fmt/format.h>

#include <map>

namespace vdf::eval {

namespace {

std::string pct(double fraction) { return fmt::format("{:.1f}%", 100.0 * fraction); }

nlohmann::json summary_json(const AttributeSummary& s) {
  return {{"count", s.count},
          {"color_accuracy", s.color_accuracy},
          {"shape_accuracy", s.shape_accuracy},
          {"direction_accuracy", s.direction_accuracy},
          {"joint_accuracy", s.joint_accuracy}};
}

}  // namespace

nlohmann::json attribute_json(const std::vector<SampleSet>& sets) {
  nlohmann::json out = {{"method", "eval/attributes/attribute_check.h: dominant colour, fill ratio (shape), "
                                   "centroid slope (direction) measured from decoded pixels"},
                        {"sets", nlohmann::json::object()}};
  for (const auto& set : sets) {
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& r : set.results) {
      const auto& m = r.measured;
      samples.push_back({{"prompt", r.prompt},
                         {"measured", {{"color", m.attributes.color},
                                       {"shape", m.attributes.shape},
                                       {"direction", m.attributes.direction}}},
                         {"fill_ratio", m.fill_ratio},
                         {"velocity", {m.velocity_x, m.velocity_y}},
                         {"foreground_fraction", m.foreground_fraction},
                         {"color_ok", r.color_ok},
                         {"shape_ok", r.shape_ok},
                         {"direction_ok", r.direction_ok},
                         {"joint_ok", r.joint_ok()}});
    }
    nlohmann::json j = summary_json(summarize(set.results));
    j["source"] = set.source;
    j["samples"] = samples;
    out["sets"][set.label] = j;
  }
  return out;
}

torch::Tensor frame_strip(const torch::Tensor& clip, int gap) {
  const int64_t T = clip.size(0);
  std::vector<torch::Tensor> parts;
  for (int64_t t : {int64_t{0}, T / 2, T - 1}) {
    if (!parts.empty()) parts.push_back(torch::full({clip.size(1), gap, 3}, 255, torch::kUInt8));
    parts.push_back(clip[t]);
  }
  return torch::cat(parts, 1).contiguous();
}

void add_attribute_sections(report::HtmlReport& html, const std::vector<SampleSet>& sets, int max_strips) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& set : sets) {
    const AttributeSummary s = summarize(set.results);
    rows.push_back({set.label, std::to_string(s.count), pct(s.color_accuracy), pct(s.shape_accuracy),
                    pct(s.direction_accuracy), pct(s.joint_accuracy)});
  }
  html.add_table("Attribute accuracy (measured from the pixels of each generated clip)",
                 {"model", "clips", "colour", "shape", "direction", "joint"}, rows);

  // Per prompt: joint accuracy of every set.
  std::vector<std::string> prompts;
  std::map<std::string, std::vector<std::pair<int, int>>> per_prompt;  // prompt -> per set (ok, n)
  for (size_t k = 0; k < sets.size(); ++k)
    for (const auto& r : sets[k].results) {
      auto& v = per_prompt[r.prompt];
      if (v.empty()) {
        prompts.push_back(r.prompt);
        v.resize(sets.size());
      }
      v[k].first += r.joint_ok();
      v[k].second += 1;
    }
  std::vector<std::string> header = {"prompt"};
  for (const auto& set : sets) header.push_back(set.label + " (joint)");
  std::vector<std::vector<std::string>> prompt_rows;
  for (const auto& p : prompts) {
    std::vector<std::string> row = {p};
    for (const auto& [ok, n] : per_prompt[p]) row.push_back(fmt::format("{}/{}", ok, n));
    prompt_rows.push_back(row);
  }
  html.add_table("Per prompt", header, prompt_rows);

  // Frame strips: sample i of every set next to each other (columns = sets).
  std::vector<std::pair<torch::Tensor, std::string>> images;
  size_t n = 0;
  for (const auto& set : sets) n = std::max(n, set.results.size());
  n = std::min<size_t>(n, static_cast<size_t>(std::max(max_strips, 0)));
  for (size_t i = 0; i < n; ++i)
    for (const auto& set : sets) {
      if (i >= set.clips.size()) continue;
      const auto& r = set.results[i];
      const auto& m = r.measured.attributes;
      images.emplace_back(frame_strip(set.clips[i]),
                          fmt::format("{}: \"{}\" — seen: {} {} {} {}", set.label, r.prompt,
                                      m.color.empty() ? "?" : m.color, m.shape.empty() ? "?" : m.shape,
                                      m.direction.empty() ? "?" : m.direction, r.joint_ok() ? "✓" : "✗"));
    }
  html.add_image_grid("Generated clips (first, middle, last frame), sets side by side", images,
                      static_cast<int>(std::max<size_t>(sets.size(), 1)));
}

}  // namespace vdf::eval
