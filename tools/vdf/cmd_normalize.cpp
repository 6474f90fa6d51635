// `vdf normalize INPUT OUTPUT --fps F --size WxH [--crop center|none] [--filter area|bicubic|bilinear]`:
// decode, resample to F fps (frames chosen exactly as `ffmpeg -vf fps=F`), resize + crop, and write
// OUTPUT as an .mp4 file, a .rgb file (raw RGB24 frames, like `ffmpeg -f rawvideo -pix_fmt rgb24`) or a
// folder of PNG frames 000000.png, 000001.png, ... Every output is written atomically.
#ifdef VDF_WITH_VIDEO
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "data/accept_report.h"
#include "data/config/video.h"
#include "framework/core/atomic_file.h"
#include "framework/core/log.h"
#include "framework/video/decoder.h"
#include "framework/image/png.h"
#include "framework/video/writer.h"
#include "tools/vdf/command.h"

namespace fs = std::filesystem;

namespace {

struct NormalizeOptions {
  std::string input, output, size, crop = "center", filter = "area", report;
  double fps = 0;
  int stream = -1, threads = 0, crf = 18;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void run(const NormalizeOptions& o) {
  using namespace vdf;
  video::DecodeOptions d;
  d.stream = o.stream;
  d.threads = o.threads;
  d.target_fps = o.fps;
  d.crop = o.crop;
  d.filter = o.filter;
  if (!o.size.empty())
    VDF_CHECK(config::parse_size(o.size, &d.width, &d.height), "--size '{}': expected WxH such as 256x144", o.size);
  data::AcceptReport report(nlohmann::json{{"fps", o.fps}, {"size", o.size}, {"crop", o.crop}, {"filter", o.filter}});
  data::InputRecord rec;
  rec.index = 0;
  rec.path = o.input;
  try {
    video::VideoDecoder dec(o.input, d);
    const int w = dec.out_width(), h = dec.out_height();
    int64_t n = 0;
    video::DecodedFrame f;
    if (ends_with(o.output, ".mp4")) {
      video::Mp4Writer writer;
      writer.open(o.output, w, h, dec.out_fps(), o.crf);
      while (dec.next(&f)) writer.write(f.image), ++n;
      VDF_CHECK(n > 0, "'{}': no frame could be decoded", o.input);
      writer.close();
    } else if (ends_with(o.output, ".rgb")) {
      const auto tmp = temp_path_for(o.output);
      {
        std::ofstream out(tmp, std::ios::binary);
        VDF_CHECK(out, "cannot write '{}'", tmp.string());
        while (dec.next(&f)) {
          out.write(reinterpret_cast<const char*>(f.image.data_ptr<uint8_t>()), f.image.numel());
          ++n;
        }
        out.flush();
        VDF_CHECK(out, "writing '{}' failed", tmp.string());
      }
      fsync_path(tmp);
      commit_rename(tmp, o.output);
    } else {
      // A folder of PNGs, built beside the target and renamed into place when complete.
      VDF_CHECK(!fs::exists(o.output) || (fs::is_directory(o.output) && fs::is_empty(o.output)),
                "output folder '{}' exists and is not empty", o.output);
      const fs::path tmp = temp_path_for(fs::path(o.output).lexically_normal().string().empty()
                                             ? o.output
                                             : fs::path(o.output).lexically_normal().string());
      fs::create_directories(tmp);
      while (dec.next(&f)) image::write_png((tmp / fmt::format("{:06d}.png", n++)).string(), f.image);
      if (fs::exists(o.output)) fs::remove(o.output);
      commit_rename(tmp, o.output);
    }
    rec.accepted = true;
    rec.frames = n;
    rec.clips = 1;
    rec.decode_errors = dec.decode_errors();
    rec.detail = fmt::format("{} frames {}x{} at {:.6g} fps -> {}", n, w, h, dec.out_fps(), o.output);
    VDF_INFO("{}", rec.detail);
  } catch (const video::VideoError& e) {
    rec.accepted = false;
    rec.reason = video::failure_name(e.kind());
    rec.detail = e.what();
    if (!o.report.empty()) {
      report.add(rec);
      report.write(o.report);
    }
    throw;
  }
  if (!o.report.empty()) {
    report.add(rec);
    report.write(o.report);
  }
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<NormalizeOptions>();
  auto* cmd = app.add_subcommand("normalize",
                                 "Decode a video, resample its frame rate, resize/crop, write MP4, raw RGB24 or PNGs");
  cmd->add_option("input", opts->input, "input video")->required();
  cmd->add_option("output", opts->output, "OUTPUT.mp4 | OUTPUT.rgb (raw RGB24) | a folder (000000.png, ...)")
      ->required();
  cmd->add_option("--fps", opts->fps, "output frame rate, frames chosen like ffmpeg -vf fps=F (0 = native)")
      ->capture_default_str();
  cmd->add_option("--size", opts->size, "output size WxH after rotation (empty = source size)");
  cmd->add_option("--crop", opts->crop, "center (resize to cover, center-crop) | none (stretch)")
      ->check(CLI::IsMember({"center", "none"}))
      ->capture_default_str();
  cmd->add_option("--filter", opts->filter, "resize filter")
      ->check(CLI::IsMember({"area", "bicubic", "bilinear"}))
      ->capture_default_str();
  cmd->add_option("--stream", opts->stream, "video stream index (-1 = best)")->capture_default_str();
  cmd->add_option("--threads", opts->threads, "decoder threads (0 = automatic)")->capture_default_str();
  cmd->add_option("--crf", opts->crf, "x264 quality for .mp4 output (lower = better)")->capture_default_str();
  cmd->add_option("--report", opts->report, "also write the accept/reject report (JSON) here");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(normalize, setup);
#endif  // VDF_WITH_VIDEO
