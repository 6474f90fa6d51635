// Benchmark: decode + resample (fps) + resize/crop every shared video with vdf's decoder, and the same job
// with the ffmpeg CLI in the same run (`-vf fps=F,scale=..,format=rgb24,crop=..` to raw RGB24 in /dev/null,
// identical swscale flags). Prints frames/s for both, the ratio (>1 = vdf faster) and peak memory
// (getrusage: vdf's own process, and the largest ffmpeg child).
//   vdf_bench_video [--fps 8] [--size 256x256] [--filter area] [--repeat 3] [--threads 0] [--fast] [DIR]
#ifdef VDF_WITH_VIDEO
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/config/video.h"
#include "framework/video/decoder.h"
#include "framework/video/probe.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int main(int argc, char** argv) {
  double fps = 8;
  int w = 256, h = 256, repeat = 3, threads = 0;
  std::string filter = "area";
  bool fast = false;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--fps") fps = std::stod(val());
    else if (a == "--size") vdf::config::parse_size(val(), &w, &h);
    else if (a == "--filter") filter = val();
    else if (a == "--repeat") repeat = std::stoi(val());
    else if (a == "--threads") threads = std::stoi(val());
    else if (a == "--fast") fast = true;
    else dir = a;
  }
  if (dir.empty()) dir = (fs::path(VDF_SOURCE_DIR) / "../shared/assets/videos").string();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (ext == ".mp4" || ext == ".mov" || ext == ".mkv" || ext == ".webm" || ext == ".avi" || ext == ".mpg")
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no videos in %s\n", dir.c_str());
    return 1;
  }
  const std::string flags = filter + (fast ? "" : "+accurate_rnd+full_chroma_int+full_chroma_inp");
  fmt::print("decode + fps {} + {} resize to {}x{} (center crop), flags {}, best of {} runs, threads {}\n", fps,
             filter, w, h, flags, repeat, threads);
  fmt::print("{:<32} {:>7} {:>7} {:>10} {:>10} {:>7}\n", "file", "src_fr", "out_fr", "vdf s", "ffmpeg s", "ratio");
  double total_vdf = 0, total_ff = 0;
  int64_t total_src = 0, total_out = 0;
  for (const auto& f : files) {
    vdf::video::VideoInfo info;
    try {
      info = vdf::video::probe_video(f);
    } catch (const std::exception& e) {
      fmt::print("{:<32} skipped: {}\n", fs::path(f).filename().string(), e.what());
      continue;
    }
    vdf::video::DecodeOptions o;
    o.target_fps = fps;
    o.width = w;
    o.height = h;
    o.filter = filter;
    o.threads = threads;
    o.accurate = !fast;
    double best_vdf = 1e300, best_ff = 1e300;
    int64_t src = 0, out = 0;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = Clock::now();
      vdf::video::VideoDecoder dec(f, o);
      vdf::video::DecodedFrame fr;
      int64_t n = 0;
      while (dec.next(&fr)) ++n;
      best_vdf = std::min(best_vdf, seconds_since(t0));
      out = n;
      src = dec.frames_decoded();
    }
    int sw, sh;
    vdf::video::cover_size(info.width, info.height, w, h, &sw, &sh);
    const std::string cmd = fmt::format(
        "ffmpeg -nostdin -v quiet -threads {} -i '{}' -map 0:{} -vf 'fps={},scale={}:{}:flags={},format=rgb24,"
        "crop={}:{}:{}:{}' -fps_mode passthrough -f rawvideo -pix_fmt rgb24 -y /dev/null",
        threads, f, info.chosen_stream, fps, sw, sh, flags, w, h, (sw - w) / 2, (sh - h) / 2);
    for (int r = 0; r < repeat; ++r) {
      auto t0 = Clock::now();
      const int rc = std::system(cmd.c_str());
      const double t = seconds_since(t0);
      if (rc != 0) fmt::print(stderr, "ffmpeg failed ({}): {}\n", rc, cmd);
      best_ff = std::min(best_ff, t);
    }
    total_vdf += best_vdf;
    total_ff += best_ff;
    total_src += src;
    total_out += out;
    fmt::print("{:<32} {:>7} {:>7} {:>10.4f} {:>10.4f} {:>7.2f}\n", fs::path(f).filename().string(), src, out,
               best_vdf, best_ff, best_ff / best_vdf);
  }
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  fmt::print("\nTOTAL {} source frames decoded, {} output frames\n", total_src, total_out);
  fmt::print("vdf:    {:.3f} s  {:.1f} source frames/s  {:.1f} output frames/s\n", total_vdf, total_src / total_vdf,
             total_out / total_vdf);
  fmt::print("ffmpeg: {:.3f} s  {:.1f} source frames/s  {:.1f} output frames/s\n", total_ff, total_src / total_ff,
             total_out / total_ff);
  fmt::print("ratio (ffmpeg time / vdf time, >= 1 means vdf is at least as fast): {:.3f}\n", total_ff / total_vdf);
  // RUSAGE_CHILDREN would count pages shared with this process at fork(); measure ffmpeg alone with
  // /usr/bin/time -f %M instead.
  (void)children;
  fmt::print("peak RSS: vdf process {:.1f} MiB (includes the LibTorch baseline)\n", self.ru_maxrss / 1024.0);
  return 0;
}
#else
#include <cstdio>
int main() {
  std::puts("vdf_bench_video: built without FFmpeg");
  return 0;
}
#endif
