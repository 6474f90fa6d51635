// The HTML report library: structure, escaping, inline SVG, base64 PNG; rendered in headless Chromium
// (Debian `chromium`): loads, and the DOM has the metric table and the images. Screenshot kept in the
// test output folder (build/cuda/test-output/eval/).
#include <catch2/catch.hpp>

#include <fstream>

#include "eval/report/html_report.h"
#include "eval/report/png.h"
#include "framework/core/atomic_file.h"
#include "tests/eval/eval_test_util.h"
#include "tests/test_support.h"

using namespace vdf::eval::report;
namespace fs = std::filesystem;

namespace {
HtmlReport sample_report() {
  HtmlReport r("test <report>");
  r.add_warning("NON-STANDARD WEIGHTS: recipe");
  r.add_key_values("Run", {{"generated", "/tmp/x"}, {"clips", "3"}});
  r.add_metric_table("Metrics", {{"FID", "12.345678", {{"network", "inception"}, {"weights_sha256", "abc"}}, "recipe weights"},
                                 {"FVD", "99.000000", {{"protocol", "stylegan-v"}}, ""}});
  std::vector<std::pair<torch::Tensor, std::string>> imgs;
  for (int i = 0; i < 4; ++i) {
    auto im = torch::zeros({48, 64, 3}, torch::kUInt8);
    im.select(2, i % 3).fill_(200);
    im.slice(0, 10, 20).fill_(255);
    imgs.emplace_back(im, "frame " + std::to_string(i));
  }
  r.add_image_grid("Frames", imgs, 2);
  r.add_table("Prompts", {"clip", "prompt"}, {{"a.mp4", "a red & blue <ball>"}});
  r.add_line_plot("loss", {{"loss", {0, 1, 2, 3}, {1.0, 0.5, 0.4, 0.3}}, {"fid", {0, 3}, {100, 50}}}, "step", "value");
  return r;
}
}  // namespace

TEST_CASE("report: PNG encoder writes a valid PNG (decoded back by Python)", "[unit][eval][report]") {
  auto im = torch::arange(0, 5 * 7 * 3, torch::kInt64).remainder(256).to(torch::kUInt8).reshape({5, 7, 3});
  const std::string png = encode_png(im);
  CHECK(png.substr(1, 3) == "PNG");
  CHECK(base64("abc") == "YWJj");
  CHECK(base64("ab") == "YWI=");
  CHECK(base64("a") == "YQ==");
  if (!fs::exists(vdf::testing::python())) {
    WARN("skipped PNG decode check: the reference Python absent");
    return;
  }
  vdf::testing::TempDir tmp("vdf-png");
  vdf::write_file_atomic(tmp / "a.png", png);
  auto r = vdf::testing::run_command(vdf::testing::python() + " -c \"from PIL import Image; import numpy as np; "
                                     "a=np.asarray(Image.open('" + (tmp / "a.png").string() +
                                     "')); print(a.shape, int(a.astype(np.int64).sum()))\"");
  INFO(r.output);
  CHECK(r.output.find("(5, 7, 3) " + std::to_string(im.to(torch::kInt64).sum().item<int64_t>())) != std::string::npos);
}

TEST_CASE("report: HTML has the sections, escapes text, inline SVG and base64 images", "[unit][eval][report]") {
  const std::string html = sample_report().render();
  CHECK(html.find("<!DOCTYPE html>") == 0);
  CHECK(html.find("test &lt;report&gt;") != std::string::npos);
  CHECK(html.find("a red &amp; blue &lt;ball&gt;") != std::string::npos);
  CHECK(html.find("<table class=\"metrics\" id=\"metrics\">") != std::string::npos);
  CHECK(html.find("data:image/png;base64,") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<polyline") != std::string::npos);
  CHECK(html.find("class=\"warn\"") != std::string::npos);
  CHECK(html.find("http") == html.find("http://www.w3.org/2000/svg"));  // self-contained: no external resources
}

TEST_CASE("report: renders in headless Chromium with the table and images", "[e2e][eval][report]") {
  const std::string chromium = vdf::eval::testing::find_chromium();
  if (chromium.empty()) {
    WARN("skipped: chromium is not installed (apt-get install chromium; tools/setup_debian.sh)");
    return;
  }
  const fs::path out = vdf::eval::testing::test_output_dir();
  const fs::path html = out / "report_sample.html";
  sample_report().write(html);
  const auto r = vdf::eval::testing::render_in_chromium(chromium, html, out / "report_sample.png");
  const auto& dom = r.dom;
  INFO(dom.output.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.output.find("id=\"metrics\"") != std::string::npos);
  CHECK(dom.output.find("12.345678") != std::string::npos);
  CHECK(vdf::eval::testing::count_of(dom.output, "<img") == 4);
  CHECK(dom.output.find("<svg") != std::string::npos);
  INFO(r.screenshot.output);
  CHECK(r.screenshot.exit_code == 0);
  CHECK(r.console.empty());  // loads without errors
  REQUIRE(fs::exists(r.png));
  CHECK(fs::file_size(r.png) > 10000);  // not a blank page
  WARN("chromium screenshot: " << r.png.string());
}
