#include "data/video/clips.h"

#include <fmt/format.h>

#include "framework/video/decoder.h"

namespace vdf::data {

InputRecord VideoExtraction::record(int64_t index, const std::string& path) const {
  InputRecord r;
  r.index = index;
  r.path = path;
  r.accepted = accepted;
  r.reason = accepted ? "" : reject_reason;
  r.detail = detail;
  r.clips = accepted ? static_cast<int64_t>(clips.size()) : 0;
  r.frames = frames;
  r.decode_errors = decode_errors;
  if (!clip_rejections.empty()) r.extra["clip_rejections"] = clip_rejections;
  if (info.chosen_stream >= 0) {
    r.extra["stream"] = info.chosen_stream;
    r.extra["source_size"] = fmt::format("{}x{}", info.width, info.height);
    r.extra["source_fps"] = info.avg_fps;
  }
  if (!clips.empty()) r.extra["bucket"] = clips.front().bucket;
  return r;
}

nlohmann::json video_policy_json(const config::VideoConfig& c) {
  return {{"fps", c.fps},
          {"size", fmt::format("{}x{}", c.width, c.height)},
          {"buckets", c.buckets},
          {"crop", config::enum_name(c.crop)},
          {"filter", config::enum_name(c.filter)},
          {"clip_frames", c.clip_frames},
          {"clip_stride", c.clip_stride},
          {"max_clips_per_video", c.max_clips_per_video},
          {"scene_split", c.scene_split},
          {"scene_threshold", c.scene_threshold},
          {"min_frames", c.effective_min_frames()},
          {"min_size", fmt::format("{}x{}", c.min_width, c.min_height)},
          {"static_threshold", c.static_threshold},
          {"black_threshold", c.black_threshold},
          {"blank_std", c.blank_std},
          {"max_black_fraction", c.max_black_fraction},
          {"duplicate_hamming", c.duplicate_hamming},
          {"decode_errors",
           c.on_decode_error == config::DecodeErrorPolicy::reject
               ? std::string("reject any input with a decode error")
               : fmt::format("keep decodable frames; reject when errors / packets > {}", c.max_decode_error_fraction)}};
}

namespace {

VideoExtraction rejected(VideoExtraction e, const char* reason, std::string detail) {
  e.accepted = false;
  e.reject_reason = reason;
  e.detail = std::move(detail);
  e.clips.clear();
  return e;
}

}  // namespace

VideoExtraction extract_clips(const std::string& path, const config::VideoConfig& cfg, DuplicateIndex* duplicates) {
  VideoExtraction ex;
  video::VideoDecoder dec;
  try {
    // Probe first (cheap) to decide the bucket and reject tiny inputs before opening a decoder.
    ex.info = video::probe_video(path, cfg.stream);
  } catch (const video::VideoError& e) {
    return rejected(std::move(ex), video::failure_name(e.kind()), e.what());
  }
  const auto& info = ex.info;
  if (info.width < cfg.min_width || info.height < cfg.min_height)
    return rejected(std::move(ex), reject::too_small,
                    fmt::format("{}x{} is below the minimum {}x{}", info.width, info.height, cfg.min_width,
                                cfg.min_height));
  int out_w, out_h;
  cfg.target_size_for(info.width, info.height, &out_w, &out_h);
  const std::string bucket = fmt::format("{}x{}", out_w, out_h);

  video::DecodeOptions o;
  o.stream = info.chosen_stream;
  o.threads = cfg.decode_threads;
  o.target_fps = cfg.fps;
  o.width = out_w;
  o.height = out_h;
  o.crop = config::enum_name(cfg.crop);
  o.filter = config::enum_name(cfg.filter);
  try {
    dec.open(path, o);
  } catch (const video::VideoError& e) {
    return rejected(std::move(ex), video::failure_name(e.kind()), e.what());
  }
  const double fps = dec.out_fps();

  ClipCutter cutter(cfg, fps, bucket);
  const int max_clips = cfg.max_clips_per_video;
  std::vector<std::vector<uint64_t>> signatures;
  video::DecodedFrame f;
  try {
    while (dec.next(&f)) {
      ++ex.frames;
      auto clip = cutter.push(f.image, f.index);
      if (!clip) continue;
      if (const char* reason = clip_filter(*clip, cfg)) {
        ++ex.clip_rejections[reason];
        continue;
      }
      clip->index = static_cast<int>(ex.clips.size());
      signatures.push_back(clip_signature(clip->frames));
      ex.clips.push_back(std::move(*clip));
      if (max_clips > 0 && static_cast<int>(ex.clips.size()) >= max_clips) break;
    }
  } catch (const Error& e) {
    ex.decode_errors = dec.decode_errors();
    return rejected(std::move(ex), reject::error, e.what());
  }
  ex.decode_errors = dec.decode_errors();
  ex.packets = dec.packets();

  if (auto verdict = decode_error_verdict(ex.decode_errors, ex.packets, cfg))
    return rejected(std::move(ex), verdict->first, std::move(verdict->second));
  if (ex.frames == 0) {
    // Frames decoded but none selected at the target rate: the video is shorter than one output frame
    // period (as with `ffmpeg -vf fps=F`), which is too_short, not unreadable.
    if (dec.frames_decoded() > 0)
      return rejected(std::move(ex), reject::too_short,
                      fmt::format("{} decoded frame(s) but none selected at {:.6g} fps (shorter than one frame "
                                  "period); at least {} needed",
                                  dec.frames_decoded(), fps, cfg.effective_min_frames()));
    return rejected(std::move(ex), reject::unreadable, "no frame could be decoded");
  }
  if (ex.frames < cfg.effective_min_frames())
    return rejected(std::move(ex), reject::too_short,
                    fmt::format("{} frames at {:.6g} fps; at least {} needed", ex.frames, fps,
                                cfg.effective_min_frames()));

  // Near-duplicates: checked and inserted atomically per clip, after the other filters, so that rejected
  // inputs never enter the index.
  if (duplicates && cfg.duplicate_hamming >= 0)
    drop_duplicate_clips(&ex.clips, signatures, path, duplicates, &ex.clip_rejections, &ex.detail);

  if (ex.clips.empty()) {
    if (cutter.candidates() == 0)
      return rejected(std::move(ex), reject::too_short,
                      fmt::format("{} frames in {} scene(s): no scene holds a clip of {} frames", ex.frames,
                                  cutter.scenes(), cfg.clip_frames));
    auto [reason, detail] = all_clips_rejected(ex.clip_rejections, cutter.candidates(), ex.detail);
    return rejected(std::move(ex), reason, std::move(detail));
  }
  ex.accepted = true;
  ex.detail = fmt::format("{} clips of {} frames at {:.6g} fps, {}", ex.clips.size(), cfg.clip_frames, fps, bucket);
  if (ex.decode_errors > 0)
    ex.detail += fmt::format("; {} decode errors in {} packets, decodable frames kept", ex.decode_errors, ex.packets);
  if (!ex.clip_rejections.empty())
    for (const auto& [name, count] : ex.clip_rejections) ex.detail += fmt::format("; {} clips {}", count, name);
  return ex;
}

}  // namespace vdf::data
