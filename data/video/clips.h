// From one source video to normalized, filtered clips (the video half of `vdf ingest`):
//   open/probe (unreadable, no_video_stream) -> too_small -> decode at the target fps and size (bucket
//   nearest in aspect, or width x height) -> cut clips of clip_frames every clip_stride frames, never
//   across a scene cut when scene_split -> per clip: mostly_black / mostly_blank, too_static ->
//   decode-error policy -> near-duplicates against every clip accepted so far (DuplicateIndex, shared
//   across inputs). The steps after decoding are pure functions in data/filters/clip_cutting.h.
// A video is accepted when at least one clip survives; otherwise it is rejected with the reason that
// removed its clips (too_short when no clip could be cut at all). See docs/video.md.
// Thread-safe: any number of threads may call extract_clips at once (sharing one DuplicateIndex).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "data/accept_report.h"
#include "data/filters/clip_cutting.h"
#include "data/filters/frame_stats.h"
#include "data/config/video.h"
#include "framework/video/probe.h"

namespace vdf::data {

struct VideoExtraction {
  bool accepted = false;
  std::string reject_reason;  // one of data::reject::* when rejected
  std::string detail;
  std::vector<Clip> clips;
  video::VideoInfo info;      // filled when the file could be opened
  int64_t frames = 0;         // output frames decoded
  int decode_errors = 0;
  int64_t packets = 0;
  std::map<std::string, int> clip_rejections;  // per-clip filter counts (too_static, mostly_black, mostly_blank, duplicate)

  // The report line for this input.
  InputRecord record(int64_t index, const std::string& path) const;
};

// duplicates may be null (no near-duplicate filtering, or duplicate_hamming = -1).
VideoExtraction extract_clips(const std::string& path, const config::VideoConfig& config,
                              DuplicateIndex* duplicates = nullptr);

// The decode-error policy and filter thresholds as stored in reports.
nlohmann::json video_policy_json(const config::VideoConfig& config);

}  // namespace vdf::data
