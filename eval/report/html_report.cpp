#include "eval/report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/report/png.h"
#include "framework/core/atomic_file.h"

namespace vdf::eval::report {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {
const char* kCss = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:1.6em;border-bottom:2px solid #444;padding-bottom:4px}
h2{font-size:1.25em;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:0.92em}
th{background:#f0f0f0}
td.num{text-align:right;font-family:ui-monospace,monospace;font-weight:600}
.prov{font-size:0.82em;color:#444}
.prov span{display:inline-block;margin-right:10px}
.warn{background:#ffe3e3;border:2px solid #d00;color:#900;font-weight:700;padding:8px 12px;margin:10px 0}
.cellwarn{color:#c00;font-weight:700}
.grid{display:grid;gap:8px}
.grid figure{margin:0;text-align:center}
.grid img{max-width:100%;height:auto;border:1px solid #bbb;image-rendering:auto}
.grid figcaption{font-size:0.8em;color:#333}
svg text{font-family:sans-serif;font-size:11px}
)";
}  // namespace

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::add_heading(const std::string& text) { sections_.push_back("<h2>" + html_escape(text) + "</h2>"); }

void HtmlReport::add_paragraph(const std::string& text) { sections_.push_back("<p>" + html_escape(text) + "</p>"); }

void HtmlReport::add_warning(const std::string& text) {
  sections_.push_back("<div class=\"warn\">&#9888; " + html_escape(text) + "</div>");
}

void HtmlReport::add_key_values(const std::string& title, const std::vector<std::pair<std::string, std::string>>& items) {
  std::string s = "<h2>" + html_escape(title) + "</h2><table class=\"kv\">";
  for (const auto& [k, v] : items) s += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>";
  sections_.push_back(s + "</table>");
}

void HtmlReport::add_table(const std::string& title, const std::vector<std::string>& header,
                           const std::vector<std::vector<std::string>>& rows, const std::string& id) {
  std::string s = "<h2>" + html_escape(title) + "</h2><table" + (id.empty() ? "" : " id=\"" + html_escape(id) + "\"") + "><tr>";
  for (const auto& h : header) s += "<th>" + html_escape(h) + "</th>";
  s += "</tr>";
  for (const auto& row : rows) {
    s += "<tr>";
    for (const auto& c : row) s += "<td>" + html_escape(c) + "</td>";
    s += "</tr>";
  }
  sections_.push_back(s + "</table>");
}

void HtmlReport::add_metric_table(const std::string& title, const std::vector<MetricRow>& rows) {
  std::string s = "<h2>" + html_escape(title) +
                  "</h2><table class=\"metrics\" id=\"metrics\"><tr><th>metric</th><th>value</th><th>provenance</th></tr>";
  for (const auto& r : rows) {
    s += "<tr><td>" + html_escape(r.name) + "</td><td class=\"num\">" + html_escape(r.value) + "</td><td class=\"prov\">";
    for (const auto& [k, v] : r.provenance) s += "<span><b>" + html_escape(k) + "</b>: " + html_escape(v) + "</span>";
    if (!r.warning.empty()) s += "<div class=\"cellwarn\">&#9888; " + html_escape(r.warning) + "</div>";
    s += "</td></tr>";
  }
  sections_.push_back(s + "</table>");
}

void HtmlReport::add_image_grid(const std::string& title, const std::vector<GridImage>& images, int columns) {
  columns = std::max(columns, 1);
  std::string s = "<h2>" + html_escape(title) + "</h2><div class=\"grid\" style=\"grid-template-columns:repeat(" +
                  std::to_string(columns) + ",1fr)\">";
  for (const auto& im : images)
    s += "<figure><img src=\"" + html_escape(im.src) + "\" alt=\"" + html_escape(im.caption) + "\"><figcaption>" +
         html_escape(im.caption) + "</figcaption></figure>";
  sections_.push_back(s + "</div>");
}

void HtmlReport::add_image_grid(const std::string& title, const std::vector<std::pair<torch::Tensor, std::string>>& images,
                                int columns) {
  std::vector<GridImage> g;
  for (const auto& [t, caption] : images) g.push_back({png_data_uri(t), caption});
  add_image_grid(title, g, columns);
}

std::string svg_line_plot(const std::vector<Series>& series, const std::string& x_label, const std::string& y_label,
                          int width, int height) {
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double ml = 60, mr = 12, mt = 10, mb = 36;
  const double pw = width - ml - mr, ph = height - mt - mb;
  auto px = [&](double x) { return ml + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return mt + (1 - (y - y0) / (y1 - y0)) * ph; };
  std::string s = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
                              width, height, width, height);
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#888\"/>", ml, mt, pw, ph);
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4.0, xv = x0 + (x1 - x0) * i / 4.0;
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#eee\"/>", ml, ml + pw, py(yv));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.4g}</text>", ml - 4, py(yv) + 4, yv);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.4g}</text>", px(xv), mt + ph + 14, xv);
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", ml + pw / 2, height - 4,
                   html_escape(x_label));
  s += fmt::format("<text x=\"12\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1f})\">{}</text>",
                   mt + ph / 2, mt + ph / 2, html_escape(y_label));
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& sr = series[k];
    std::string pts;
    for (size_t i = 0; i < std::min(sr.x.size(), sr.y.size()); ++i)
      if (std::isfinite(sr.x[i]) && std::isfinite(sr.y[i])) pts += fmt::format("{:.1f},{:.1f} ", px(sr.x[i]), py(sr.y[i]));
    const char* c = colors[k % 6];
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>", c, pts);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\">{}</text>", ml + 8, mt + 14 + 13 * k, c,
                     html_escape(sr.name));
  }
  return s + "</svg>";
}

void HtmlReport::add_line_plot(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                               const std::string& y_label) {
  sections_.push_back("<h2>" + html_escape(title) + "</h2><div class=\"plot\">" +
                      svg_line_plot(series, x_label, y_label) + "</div>");
}

std::string HtmlReport::render() const {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title_) +
                  "</title><style>" + kCss + "</style></head><body><h1>" + html_escape(title_) + "</h1>\n";
  for (const auto& sec : sections_) s += sec + "\n";
  return s + "</body></html>\n";
}

void HtmlReport::write(const std::filesystem::path& path) const {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  write_file_atomic(path, render());
}

}  // namespace vdf::eval::report
