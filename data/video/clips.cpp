#include "data/video/clips.h"

#include <fmt/format.h>

#include <deque>

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

  // Online clip cutting: keep only frames that belong to a pending clip.
  const int64_t L = cfg.clip_frames, S = cfg.clip_stride;
  const int max_clips = cfg.max_clips_per_video;
  std::deque<std::pair<int64_t, torch::Tensor>> window;  // (position in scene, frame)
  torch::Tensor prev_small;
  int64_t pos = 0, scene_start = 0;  // position within the current scene; its first output frame
  int scenes = 1;
  int64_t candidates = 0;
  std::vector<std::vector<uint64_t>> signatures;
  video::DecodedFrame f;
  try {
    while (dec.next(&f)) {
      ++ex.frames;
      if (cfg.scene_split) {
        auto small = small_luma(f.image.unsqueeze(0))[0];
        if (prev_small.defined() && (small - prev_small).abs().mean().item<double>() > cfg.scene_threshold) {
          window.clear();
          pos = 0;
          scene_start = f.index;
          ++scenes;
        }
        prev_small = small;
      }
      if (pos % S < L) window.emplace_back(pos, f.image);
      const int64_t s = pos - L + 1;
      if (s >= 0 && s % S == 0) {
        ++candidates;
        std::vector<torch::Tensor> frames;
        for (const auto& [p, img] : window)
          if (p >= s && p <= pos) frames.push_back(img);
        Clip c;
        c.frames = torch::stack(frames);
        c.fps = fps;
        c.first_frame = scene_start + s;
        c.start_s = c.first_frame / fps;
        c.end_s = (c.first_frame + L) / fps;
        c.bucket = bucket;
        c.motion = motion_score(c.frames);
        c.black_fraction = black_fraction(c.frames, cfg.black_threshold, cfg.blank_std);
        if (c.black_fraction > cfg.max_black_fraction) {
          ++ex.clip_rejections[reject::mostly_black];
        } else if (cfg.static_threshold > 0 && c.motion < cfg.static_threshold) {
          ++ex.clip_rejections[reject::too_static];
        } else {
          c.index = static_cast<int>(ex.clips.size());
          signatures.push_back(clip_signature(c.frames));
          ex.clips.push_back(std::move(c));
        }
        while (!window.empty() && window.front().first < s + S) window.pop_front();
        if (max_clips > 0 && static_cast<int>(ex.clips.size()) >= max_clips) break;
      }
      ++pos;
    }
  } catch (const Error& e) {
    ex.decode_errors = dec.decode_errors();
    return rejected(std::move(ex), reject::error, e.what());
  }
  ex.decode_errors = dec.decode_errors();
  ex.packets = dec.packets();

  // Decode-error policy.
  if (ex.decode_errors > 0) {
    const double frac = static_cast<double>(ex.decode_errors) / std::max<int64_t>(1, ex.packets);
    if (cfg.on_decode_error == config::DecodeErrorPolicy::reject)
      return rejected(std::move(ex), reject::decode_errors,
                      fmt::format("{} decode errors in {} packets (policy: reject on any error)", ex.decode_errors,
                                  ex.packets));
    if (frac > cfg.max_decode_error_fraction)
      return rejected(std::move(ex), reject::decode_errors,
                      fmt::format("{} decode errors in {} packets ({:.0f}% > {:.0f}%)", ex.decode_errors, ex.packets,
                                  100 * frac, 100 * cfg.max_decode_error_fraction));
  }
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
  if (duplicates && cfg.duplicate_hamming >= 0) {
    std::vector<Clip> kept;
    for (size_t i = 0; i < ex.clips.size(); ++i) {
      const auto key = fmt::format("{}#{}", path, ex.clips[i].first_frame);
      if (auto hit = duplicates->find_or_insert(signatures[i], key)) {
        ++ex.clip_rejections[reject::duplicate];
        if (ex.detail.empty()) ex.detail = "near-duplicate of " + *hit;
      } else {
        kept.push_back(std::move(ex.clips[i]));
        kept.back().index = static_cast<int>(kept.size()) - 1;
      }
    }
    ex.clips = std::move(kept);
  }

  if (ex.clips.empty()) {
    if (candidates == 0)
      return rejected(std::move(ex), reject::too_short,
                      fmt::format("{} frames in {} scene(s): no scene holds a clip of {} frames", ex.frames, scenes,
                                  L));
    // The filter that removed the most clips names the rejection.
    std::string reason;
    int best = -1;
    for (const auto& [name, count] : ex.clip_rejections)
      if (count > best) {
        best = count;
        reason = name;
      }
    std::string detail = ex.detail;
    std::string counts;
    for (const auto& [name, count] : ex.clip_rejections) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, name);
    detail = fmt::format("all {} clips rejected ({}){}", candidates, counts, detail.empty() ? "" : "; " + detail);
    const char* r = reason == reject::too_static     ? reject::too_static
                    : reason == reject::mostly_black ? reject::mostly_black
                                                     : reject::duplicate;
    return rejected(std::move(ex), r, detail);
  }
  ex.accepted = true;
  ex.detail = fmt::format("{} clips of {} frames at {:.6g} fps, {}", ex.clips.size(), L, fps, bucket);
  if (ex.decode_errors > 0)
    ex.detail += fmt::format("; {} decode errors in {} packets, decodable frames kept", ex.decode_errors, ex.packets);
  if (!ex.clip_rejections.empty())
    for (const auto& [name, count] : ex.clip_rejections) ex.detail += fmt::format("; {} clips {}", count, name);
  return ex;
}

}  // namespace vdf::data
