// A reusable, self-contained HTML report writer (inline CSS, inline SVG plots, images as base64 PNG or
// files next to the report). Used by `vdf eval` and the quickstart. Sections appear in the order added.
//
//   report::HtmlReport r("vdf eval");
//   r.add_warning("NON-STANDARD WEIGHTS ...");
//   r.add_metric_table("Metrics", rows);
//   r.add_image_grid("Frames", images, /*columns=*/4);
//   r.add_line_plot("Training loss", {{"loss", xs, ys}}, "step", "loss");
//   r.write("out/report.html");
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vdf::eval::report {

std::string html_escape(const std::string& text);

struct MetricRow {
  std::string name;                               // "FID"
  std::string value;                              // formatted number, e.g. "12.3456"
  std::vector<std::pair<std::string, std::string>> provenance;  // shown next to the value
  std::string warning;                            // shown in red when non-empty
};

struct GridImage {
  std::string src;      // data URI or a path relative to the report
  std::string caption;
};

struct Series {
  std::string name;
  std::vector<double> x, y;
};

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);
  void add_heading(const std::string& text);
  void add_paragraph(const std::string& text);
  void add_warning(const std::string& text);  // a loud red box
  void add_key_values(const std::string& title, const std::vector<std::pair<std::string, std::string>>& items);
  // `id`: optional HTML id of the table (for scripts and tests).
  void add_table(const std::string& title, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::string& id = "");
  void add_metric_table(const std::string& title, const std::vector<MetricRow>& rows);
  void add_image_grid(const std::string& title, const std::vector<GridImage>& images, int columns);
  // Image grid from uint8 [H,W,3] tensors, embedded as base64 PNG.
  void add_image_grid(const std::string& title, const std::vector<std::pair<torch::Tensor, std::string>>& images,
                      int columns);
  void add_line_plot(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                     const std::string& y_label);
  std::string render() const;
  void write(const std::filesystem::path& path) const;  // atomic

 private:
  std::string title_;
  std::vector<std::string> sections_;
};

// Inline SVG line plot (exposed for tests).
std::string svg_line_plot(const std::vector<Series>& series, const std::string& x_label, const std::string& y_label,
                          int width = 640, int height = 320);

}  // namespace vdf::eval::report
