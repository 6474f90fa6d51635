// Config section `video`: how a source video becomes normalized clips (decode, FPS resample, resize +
// crop or aspect buckets, clip cutting, scene split) and which inputs are rejected, with which named
// reason (docs/video.md). Used by `vdf ingest` and, for its decode options, by `vdf normalize`.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/binding.h"

namespace vdf::config {

// Parses "WxH" (e.g. "256x144"); returns false on anything else (both must be >= 1).
inline bool parse_size(const std::string& text, int* width, int* height) {
  const auto x = text.find('x');
  if (x == std::string::npos || x == 0 || x + 1 >= text.size()) return false;
  int64_t w, h;
  if (!parse_int64(text.substr(0, x), &w) || !parse_int64(text.substr(x + 1), &h)) return false;
  if (w < 1 || h < 1 || w > 65536 || h > 65536) return false;
  *width = static_cast<int>(w);
  *height = static_cast<int>(h);
  return true;
}

enum class CropMode { center, none };
VDF_CONFIG_ENUM(CropMode, {CropMode::center, "center"}, {CropMode::none, "none"})
enum class ResizeFilter { area, bicubic, bilinear };
VDF_CONFIG_ENUM(ResizeFilter, {ResizeFilter::area, "area"}, {ResizeFilter::bicubic, "bicubic"},
                {ResizeFilter::bilinear, "bilinear"})
enum class DecodeErrorPolicy { keep, reject };
VDF_CONFIG_ENUM(DecodeErrorPolicy, {DecodeErrorPolicy::keep, "keep"}, {DecodeErrorPolicy::reject, "reject"})

struct VideoConfig {
  // --- decoding -----------------------------------------------------------------------------------
  int stream = -1;                  // video stream index in the container; -1 = best (ffprobe's default)
  int decode_threads = 0;           // libavcodec threads per decoder; 0 = automatic
  // --- normalization ------------------------------------------------------------------------------
  double fps = 8.0;                 // output frame rate (frame selection identical to ffmpeg -vf fps=F); 0 = native
  int width = 256;                  // output width (display orientation, after rotation)
  int height = 256;                 // output height
  CropMode crop = CropMode::center;      // center: resize to cover then center-crop | none: stretch to WxH
  ResizeFilter filter = ResizeFilter::area;  // antialiased when shrinking
  std::vector<std::string> buckets; // "WxH" sizes; non-empty: each video goes to the bucket nearest in aspect
  // --- clips --------------------------------------------------------------------------------------
  int clip_frames = 16;             // frames per clip (at the output fps)
  int clip_stride = 16;             // frames between the starts of consecutive clips
  int max_clips_per_video = 8;      // 0 = unlimited
  bool scene_split = false;         // cut clips only within scenes (no clip crosses a detected cut)
  double scene_threshold = 0.3;     // scene cut when the mean |frame difference| (0..1) exceeds this
  // --- filters (each has a named rejection reason) ------------------------------------------------
  int min_frames = 0;               // too_short: fewer output frames than this (0 = clip_frames)
  int min_width = 64;               // too_small: display width below this
  int min_height = 64;              // too_small: display height below this
  double static_threshold = 0.002;  // too_static: clip motion score (mean |frame diff|, 0..1) below this; 0 = off
  double black_threshold = 0.06;    // a frame is black/blank when its luma mean (0..1) is below this ...
  double blank_std = 0.01;          // ... or its luma standard deviation (0..1) is below this (flat colour)
  double max_black_fraction = 0.5;  // mostly_black/_blank: fraction of black or blank frames above this
  int duplicate_hamming = 6;        // duplicate: every frame hash within this Hamming distance; -1 = off
  DecodeErrorPolicy on_decode_error = DecodeErrorPolicy::keep;  // keep decodable frames | reject on any error
  double max_decode_error_fraction = 0.5; // decode_errors: reject when errors / packets exceed this (keep policy)

  // Output size for a source of the given display size (bucket nearest in aspect ratio, or width x height).
  void target_size_for(int src_width, int src_height, int* out_width, int* out_height) const {
    *out_width = width;
    *out_height = height;
    if (buckets.empty() || src_width <= 0 || src_height <= 0) return;
    const double aspect = std::log(static_cast<double>(src_width) / src_height);
    double best = 1e300;
    for (const auto& b : buckets) {
      int w = 0, h = 0;
      if (!parse_size(b, &w, &h)) continue;
      const double d = std::abs(std::log(static_cast<double>(w) / h) - aspect);
      if (d < best) {
        best = d;
        *out_width = w;
        *out_height = h;
      }
    }
  }
  int effective_min_frames() const { return min_frames > 0 ? min_frames : clip_frames; }

  template <class V>
  void visit(V& v) {
    v("stream", stream, "video stream index; -1 = best stream");
    v("decode_threads", decode_threads, "libavcodec threads per decoder (0 = automatic)");
    v("fps", fps, "output frame rate; frames selected like ffmpeg -vf fps=F (0 = native rate)");
    v("width", width, "output width after rotation");
    v("height", height, "output height after rotation");
    v("crop", crop, "center: resize to cover, center-crop; none: stretch to width x height");
    v("filter", filter, "resize filter");
    v("buckets", buckets, "aspect buckets as WxH; non-empty = nearest bucket by aspect, then resize+crop");
    v("clip_frames", clip_frames, "frames per clip");
    v("clip_stride", clip_stride, "frames between consecutive clip starts");
    v("max_clips_per_video", max_clips_per_video, "most clips taken from one video (0 = unlimited)");
    v("scene_split", scene_split, "never let a clip cross a detected scene cut");
    v("scene_threshold", scene_threshold, "scene cut when mean |frame difference| (0..1) exceeds this");
    v("min_frames", min_frames, "too_short below this many output frames (0 = clip_frames)");
    v("min_width", min_width, "too_small below this display width");
    v("min_height", min_height, "too_small below this display height");
    v("static_threshold", static_threshold, "too_static when clip motion (mean |diff|, 0..1) is below (0 = off)");
    v("black_threshold", black_threshold, "frame is black when luma mean (0..1) is below this");
    v("blank_std", blank_std, "frame is blank when luma std (0..1) is below this");
    v("max_black_fraction", max_black_fraction, "mostly_black / mostly_blank when this fraction of clip frames is black or blank");
    v("duplicate_hamming", duplicate_hamming, "near-duplicate when all frame hashes are within this distance (-1 = off)");
    v("on_decode_error", on_decode_error, "keep: the decodable frames; reject: the input on any decode error");
    v("max_decode_error_fraction", max_decode_error_fraction, "keep policy: reject above this error fraction");
  }
  void validate(const Check& c) const {
    c.require(stream >= -1, "stream", stream, "-1 (best) or a stream index >= 0");
    c.require(decode_threads >= 0, "decode_threads", decode_threads, ">= 0");
    c.require(fps >= 0 && fps <= 1000, "fps", fps, "0 (native) or a rate in (0, 1000]");
    c.require(width >= 2 && width <= 16384, "width", width, "2..16384");
    c.require(height >= 2 && height <= 16384, "height", height, "2..16384");
    for (size_t i = 0; i < buckets.size(); ++i) {
      int w, h;
      c.require(parse_size(buckets[i], &w, &h), "buckets[" + std::to_string(i) + "]", buckets[i],
                "a size WxH such as 256x144");
    }
    c.require(clip_frames >= 1, "clip_frames", clip_frames, ">= 1");
    c.require(clip_stride >= 1, "clip_stride", clip_stride, ">= 1");
    c.require(max_clips_per_video >= 0, "max_clips_per_video", max_clips_per_video, ">= 0");
    c.require(scene_threshold > 0 && scene_threshold <= 1, "scene_threshold", scene_threshold, "in (0, 1]");
    c.require(min_frames >= 0, "min_frames", min_frames, ">= 0");
    c.require(min_width >= 0, "min_width", min_width, ">= 0");
    c.require(min_height >= 0, "min_height", min_height, ">= 0");
    c.require(static_threshold >= 0 && static_threshold < 1, "static_threshold", static_threshold, "in [0, 1)");
    c.require(black_threshold >= 0 && black_threshold < 1, "black_threshold", black_threshold, "in [0, 1)");
    c.require(blank_std >= 0 && blank_std < 1, "blank_std", blank_std, "in [0, 1)");
    c.require(max_black_fraction >= 0 && max_black_fraction <= 1, "max_black_fraction", max_black_fraction,
              "in [0, 1]");
    c.require(duplicate_hamming >= -1 && duplicate_hamming <= 64, "duplicate_hamming", duplicate_hamming,
              "-1 (off) or 0..64");
    c.require(max_decode_error_fraction >= 0 && max_decode_error_fraction <= 1, "max_decode_error_fraction",
              max_decode_error_fraction, "in [0, 1]");
  }
};

}  // namespace vdf::config
