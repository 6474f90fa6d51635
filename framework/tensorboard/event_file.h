// TensorBoard event files written by vdf itself (no Python, no TensorFlow): Event protos (scalars,
// PNG images, text) through the real protobuf library, framed as TFRecords (tfrecord.h). One file per
// folder — a run's `tensorboard/` — named events.out.tfevents.<time>.<host> and appended to across
// resumes: opening it with `keep_through_step` first drops the events after that step (what a resumed
// run recomputes), exactly as metrics.jsonl drops its later lines, so TensorBoard never sees a step twice.
//
// The protobuf encoding lives behind event_codec.h (Debian's libprotobuf, kept away from the torch
// wheel's protobuf headers; see there).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/tensorboard/event_codec.h"

namespace vdf::tensorboard {

namespace fs = std::filesystem;

using Scalars = std::vector<std::pair<std::string, double>>;

// What a reader of vdf's files needs to know about one event (tests, truncation).
struct EventInfo {
  int64_t step = 0;
  double wall_time = 0;
  std::vector<std::string> tags;  // empty for the file_version header
};

// The event file of `dir` (the first events.out.tfevents.* by name), or nullopt when there is none.
std::optional<fs::path> find_event_file(const fs::path& dir);
// Every event of an event file (records after a torn tail are ignored).
std::vector<EventInfo> read_events(const fs::path& path);

class EventFileWriter {
 public:
  // Opens the event file of `dir` (created with a file_version header when there is none). With
  // `keep_through_step`, events with a larger step are dropped first (atomic rewrite).
  explicit EventFileWriter(const fs::path& dir, std::optional<int64_t> keep_through_step = std::nullopt);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // One event holding every scalar (float32 simple_value, as TensorBoard stores them).
  void add_scalars(int64_t step, const Scalars& scalars);
  // uint8 [H, W, 3] RGB, stored as PNG (framework/image/png.h).
  void add_image(int64_t step, const std::string& tag, const torch::Tensor& image_hwc_u8);
  // An already encoded RGB PNG of the given size (e.g. a sample strip read from disk).
  void add_png(int64_t step, const std::string& tag, const std::string& png_bytes, int64_t height, int64_t width);
  // Text shown by TensorBoard's text plugin (markdown).
  void add_text(int64_t step, const std::string& tag, const std::string& text);
  // True when the file already holds `tag` at `step` (e.g. the config text of an interrupted start).
  bool has(const std::string& tag, int64_t step) const;
  const fs::path& path() const { return path_; }

 private:
  void append(const EventRecord& event);
  fs::path path_;
  std::FILE* file_ = nullptr;
  std::set<std::pair<std::string, int64_t>> written_;
};

// Puts `scalars` at `step` into the event file of `dir` (created if needed), replacing what the file held
// for those tags at that step, with the events kept in step order (atomic rewrite). For results computed
// after the fact at an earlier step, e.g. `vdf eval` of a run's samples: TensorBoard discards the
// events after a step that goes backwards, so appending out of order would lose data.
void put_scalars_in_order(const fs::path& dir, int64_t step, const Scalars& scalars);

}  // namespace vdf::tensorboard
