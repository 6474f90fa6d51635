// The accept/reject report of a run over many inputs (vdf ingest, vdf normalize): every input is listed
// once, accepted (with its clip count) or rejected (with a named reason and a detail line), and
// accepted + rejected = inputs, always (to_json() checks it). Thread-safe: decode threads add entries;
// entries are ordered by input index, so the file does not depend on thread timing.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vdf::data {

// Named rejection reasons (the only values `reason` takes for a rejected input).
namespace reject {
inline constexpr const char* unreadable = "unreadable";            // not a video, empty, garbage, missing
inline constexpr const char* no_video_stream = "no_video_stream";  // audio-only, subtitles, ...
inline constexpr const char* too_short = "too_short";              // fewer frames than one clip / min_frames
inline constexpr const char* too_small = "too_small";              // below min_width x min_height
inline constexpr const char* too_static = "too_static";            // every clip below the motion threshold
inline constexpr const char* mostly_black = "mostly_black";        // every clip mostly dark frames
inline constexpr const char* mostly_blank = "mostly_blank";        // every clip mostly flat (uniform) frames
inline constexpr const char* duplicate = "duplicate";              // every clip near-duplicates an earlier one
inline constexpr const char* decode_errors = "decode_errors";      // above the decode-error policy
inline constexpr const char* error = "error";                      // any other failure (message in detail)
}  // namespace reject

struct InputRecord {
  int64_t index = -1;       // position in the input list (orders the report)
  std::string path;
  bool accepted = false;
  std::string reason;       // empty when accepted
  std::string detail;       // human-readable: why, or what was kept ("3 clips; 2 decode errors kept")
  int64_t clips = 0;        // clips produced (accepted inputs)
  int64_t frames = 0;       // output frames decoded
  int decode_errors = 0;
  nlohmann::json extra = nlohmann::json::object();  // anything else a stage wants to record
};

class AcceptReport {
 public:
  // `policy` is stored verbatim in the report (e.g. the decode-error policy and filter thresholds).
  explicit AcceptReport(nlohmann::json policy = nlohmann::json::object()) : policy_(std::move(policy)) {}
  void add(InputRecord record);
  size_t inputs() const;
  size_t accepted() const;
  size_t rejected() const;
  int64_t clips() const;
  std::map<std::string, int64_t> reasons() const;  // rejection reason -> count
  std::vector<InputRecord> records() const;        // ordered by index
  // {"inputs", "accepted", "rejected", "clips", "reasons", "policy", "entries": [...]}.
  nlohmann::json to_json() const;
  // Writes to_json() atomically.
  void write(const std::string& path) const;

 private:
  nlohmann::json policy_;
  mutable std::mutex mutex_;
  std::vector<InputRecord> records_;
};

}  // namespace vdf::data
