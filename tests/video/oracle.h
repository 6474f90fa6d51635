// Helpers for video tests: the shared asset videos, the ffmpeg CLI as an oracle (frame selection from
// `showinfo`, raw RGB24 output), PSNR. Header-only; tests/video only.
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vdf::testing::video {

inline std::vector<std::string> shared_videos() {
  std::vector<std::string> out;
  const auto dir = shared_dir() / "assets" / "videos";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (ext == ".mp4" || ext == ".mov" || ext == ".mkv" || ext == ".webm" || ext == ".avi" || ext == ".mpg")
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string video_asset(const std::string& name) {
  return (shared_dir() / "assets" / "videos" / name).string();
}

inline bool has_ffmpeg() {
  static const bool ok = run_command("ffmpeg -hide_banner -version").exit_code == 0;
  return ok;
}

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

// Indices (decode order, from 0) of the source frames that `ffmpeg -vf fps=F` outputs, recovered by
// running `showinfo,fps=F,showinfo` and matching each output frame's (pos, checksum) to the input list.
inline std::vector<int64_t> ffmpeg_fps_selection(const std::string& path, int stream, const std::string& fps) {
  const std::string cmd = "ffmpeg -nostdin -nostats -hide_banner -loglevel info -threads 1 -i " + quote(path) + " -map 0:" +
                          std::to_string(stream) + " -vf 'showinfo,fps=" + fps +
                          ",showinfo' -fps_mode passthrough -f null - 2>&1";
  const auto r = run_command(cmd);
  std::vector<std::pair<std::string, int64_t>> in;  // key, n
  std::vector<std::string> out;
  const std::regex line_re(R"(Parsed_showinfo_(\d+) [^\]]*\] n:\s*(\d+) .*? pos:\s*(-?\d+) .*? checksum:([0-9A-Fa-f]+))");
  std::string text = r.output;
  std::replace(text.begin(), text.end(), '\r', '\n');
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, line_re)) continue;
    const std::string key = m[3].str() + "/" + m[4].str();
    if (m[1].str() == "0") in.push_back({key, std::stoll(m[2].str())});
    else out.push_back(key);
  }
  std::vector<int64_t> sel;
  size_t from = 0;
  for (const auto& k : out) {
    size_t i = from;
    while (i < in.size() && in[i].first != k) ++i;
    if (i == in.size()) {
      sel.push_back(-1);  // no match: fails the comparison
      continue;
    }
    sel.push_back(in[i].second);
    from = i;
  }
  return sel;
}

// Raw RGB24 frames from the ffmpeg CLI: `ffmpeg -i path <args> -f rawvideo -pix_fmt rgb24`, as [T, h, w, 3].
inline torch::Tensor ffmpeg_rgb(const std::string& path, const std::string& args, int w, int h) {
  TempDir tmp("vdf-ffraw");
  const auto out = (tmp.path() / "out.rgb").string();
  const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y -i " + quote(path) + " " + args +
                          " -fps_mode passthrough -f rawvideo -pix_fmt rgb24 " + quote(out);
  const auto r = run_command(cmd);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + cmd + "\n" + r.output);
  std::ifstream f(out, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const int64_t frame = static_cast<int64_t>(w) * h * 3;
  const int64_t t = bytes.size() / frame;
  auto tensor = torch::empty({t, h, w, 3}, torch::kUInt8);
  std::memcpy(tensor.data_ptr<uint8_t>(), bytes.data(), t * frame);
  return tensor;
}

inline double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  const double mse = (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).mean().item<double>();
  if (mse <= 0) return 100.0;
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace vdf::testing::video
