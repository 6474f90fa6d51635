// Pure tensor measurements on uint8 [T, H, W, 3] frames used by the video filters (no FFmpeg needed):
// motion score, black/blank frames, scene cuts, perceptual hashes and a near-duplicate index.
// All measures work on a small luma image (BT.601 weights, area-averaged to at most 64x64), so they do
// not depend on the output resolution and are cheap. Values are in 0..1 (pixel range / 255).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vdf::data {

// float [T, h, w] luma in 0..1, area-downsampled so that h, w <= max_side.
torch::Tensor small_luma(const torch::Tensor& frames_thwc_u8, int max_side = 64);

// Mean |luma(t) - luma(t-1)| for t = 1..T-1 (0..1). Empty for T < 2.
std::vector<double> frame_differences(const torch::Tensor& frames_thwc_u8);
// Motion score: the mean of frame_differences (0 for fewer than two frames).
double motion_score(const torch::Tensor& frames_thwc_u8);
// Frame indices t (1..T-1) where a scene cut happens between t-1 and t: difference > threshold.
std::vector<int64_t> scene_cuts(const torch::Tensor& frames_thwc_u8, double threshold);
// What a frame shows, for the mostly_black / mostly_blank filters: black is dark footage (luma mean <
// black_threshold, flat or not); blank is a flat picture that is not dark (luma std < blank_std: mid-grey,
// a uniform colour, a white card).
enum class FrameLook { content, black, blank };
std::vector<FrameLook> classify_frames(const torch::Tensor& frames_thwc_u8, double black_threshold,
                                       double blank_std);
// Per frame: black or blank (either kind above).
std::vector<bool> black_or_blank(const torch::Tensor& frames_thwc_u8, double black_threshold, double blank_std);
// Fraction of frames that are black or blank (0 for no frames).
double black_fraction(const torch::Tensor& frames_thwc_u8, double black_threshold, double blank_std);

// 64-bit DCT perceptual hash of one uint8 [H, W, 3] frame: luma area-resized to 32x32, 2-D DCT-II, the
// 8x8 lowest frequencies compared with their median (DC excluded from the median). Similar pictures
// (re-encoded, rescaled, slightly shifted colours) have small Hamming distances; unrelated ones ~32.
uint64_t perceptual_hash(const torch::Tensor& frame_hwc_u8);
int hamming_distance(uint64_t a, uint64_t b);
// Hashes of a clip's first, middle and last frames (the clip signature used for duplicates).
std::vector<uint64_t> clip_signature(const torch::Tensor& frames_thwc_u8);

// Remembers clip signatures across inputs and finds near-duplicates: two signatures match when every
// hash pair is within max_distance. Thread-safe; shared by all decode threads of an ingest run.
class DuplicateIndex {
 public:
  explicit DuplicateIndex(int max_distance = 6) : max_distance_(max_distance) {}
  // The key of an earlier signature that matches, if any (does not insert).
  std::optional<std::string> find(const std::vector<uint64_t>& signature) const;
  // Atomically: returns the matching key if any; otherwise inserts (signature, key) and returns nullopt.
  std::optional<std::string> find_or_insert(const std::vector<uint64_t>& signature, const std::string& key);
  size_t size() const;
  int max_distance() const { return max_distance_; }

 private:
  std::optional<std::string> find_locked(const std::vector<uint64_t>& signature) const;
  struct Entry {
    std::vector<uint64_t> signature;
    std::string key;
  };
  int max_distance_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace vdf::data
