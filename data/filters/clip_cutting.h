// The pure (FFmpeg-free) parts of clip extraction, each a function on tensors that data/video/clips.cpp
// strings together around the decoder: cutting fixed-length clips out of a frame stream (ClipCutter),
// the per-clip filters (clip_filter), the decode-error policy (decode_error_verdict), near-duplicate
// removal (drop_duplicate_clips) and the reason that names a video whose clips were all rejected
// (all_clips_rejected). Tested on synthetic tensors in tests/data.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/filters/frame_stats.h"
#include "data/config/video.h"

namespace vdf::data {

struct Clip {
  torch::Tensor frames;      // uint8 [T, H, W, 3]
  double start_s = 0;        // output timeline (0 = first output frame)
  double end_s = 0;          // start of the frame after the clip
  double fps = 0;
  int index = 0;             // clip number within its video (after filtering)
  int64_t first_frame = 0;   // output frame number of frames[0]
  std::string bucket;        // "WxH"
  double motion = 0;         // motion score
  double black_fraction = 0; // fraction of black or blank frames
  double blank_fraction = 0; // fraction of blank (flat, not dark) frames
};

// Online clip cutting: feed the output frames in order; a clip of clip_frames frames starts every
// clip_stride frames of a scene (never across a scene cut when scene_split). Only the frames of
// pending clips are kept.
class ClipCutter {
 public:
  ClipCutter(const config::VideoConfig& config, double fps, std::string bucket);
  // frame: uint8 [H, W, 3]; index: its output frame number. Returns the clip that this frame completes.
  std::optional<Clip> push(const torch::Tensor& frame, int64_t index);
  int64_t candidates() const { return candidates_; }  // clips cut so far (before filtering)
  int scenes() const { return scenes_; }

 private:
  int64_t length_, stride_;
  bool scene_split_;
  double scene_threshold_, fps_;
  std::string bucket_;
  std::deque<std::pair<int64_t, torch::Tensor>> window_;  // (position in scene, frame)
  torch::Tensor prev_small_;
  int64_t pos_ = 0, scene_start_ = 0;  // position within the current scene; its first output frame
  int scenes_ = 1;
  int64_t candidates_ = 0;
};

// Measures the clip (motion, black and blank fractions, stored in it) and returns the filter that
// rejects it: mostly_black / mostly_blank when more than max_black_fraction of its frames are black or
// blank (mostly_black when the dark frames are at least as many as the flat ones, else mostly_blank),
// then too_static; nullptr when it passes.
const char* clip_filter(Clip& clip, const config::VideoConfig& config);

// The decode-error policy: a reject reason and detail, or nullopt when the errors are tolerated.
std::optional<std::pair<const char*, std::string>> decode_error_verdict(int decode_errors, int64_t packets,
                                                                        const config::VideoConfig& config);

// Removes the clips that near-duplicate an earlier clip in `index` (and inserts the others, keyed
// "<path>#<first_frame>"); signatures[i] belongs to clips[i]. Counts removals in clip_rejections and
// sets detail (when empty) to the first match. Kept clips are renumbered.
void drop_duplicate_clips(std::vector<Clip>* clips, const std::vector<std::vector<uint64_t>>& signatures,
                          const std::string& path, DuplicateIndex* index, std::map<std::string, int>* clip_rejections,
                          std::string* detail);

// The reason and detail of a video whose every one of `candidates` clips (> 0) was rejected: the filter
// that removed the most clips (ties: the alphabetically first).
std::pair<const char*, std::string> all_clips_rejected(const std::map<std::string, int>& clip_rejections,
                                                       int64_t candidates, const std::string& detail);

}  // namespace vdf::data
