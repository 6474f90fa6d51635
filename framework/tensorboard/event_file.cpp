#include "framework/tensorboard/event_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/image/png.h"
#include "framework/tensorboard/tfrecord.h"

namespace vdf::tensorboard {

namespace {

double event_wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> event_tags(const EventRecord& e) {
  std::vector<std::string> tags;
  for (const auto& v : e.values) tags.push_back(v.tag);
  return tags;
}

EventRecord event_parse(const std::string& record, const fs::path& path) {
  EventRecord e;
  VDF_CHECK(decode_event(record, &e), "{}: a record is not a TensorBoard Event", path.string());
  return e;
}

EventRecord event_now(int64_t step) {
  EventRecord e;
  e.wall_time = event_wall_time();
  e.step = step;
  return e;
}

std::string event_file_name() {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  const auto seconds = static_cast<int64_t>(event_wall_time());
  return fmt::format("events.out.tfevents.{}.{}", seconds, host);
}

EventRecord event_header() {
  EventRecord e = event_now(0);
  e.file_version = "brain.Event:2";
  return e;
}

}  // namespace

std::optional<fs::path> find_event_file(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      found.push_back(entry.path());
  if (found.empty()) return std::nullopt;
  std::sort(found.begin(), found.end());
  if (found.size() > 1)
    VDF_WARN("{} holds {} event files; vdf appends to {} (one file per run)", dir.string(), found.size(),
             found.front().filename().string());
  return found.front();
}

std::vector<EventInfo> read_events(const fs::path& path) {
  std::vector<EventInfo> out;
  for (const auto& record : read_records(path).records) {
    const EventRecord e = event_parse(record, path);
    out.push_back({e.step, e.wall_time, event_tags(e)});
  }
  return out;
}

EventFileWriter::EventFileWriter(const fs::path& dir, std::optional<int64_t> keep_through_step) {
  with_context(fmt::format("TensorBoard event file in {}", dir.string()), [&] {
    fs::create_directories(dir);
    std::optional<fs::path> existing = find_event_file(dir);
    path_ = existing ? *existing : dir / event_file_name();
    const RecordFile file = read_records(path_);
    if (!existing || file.records.empty()) {
      write_file_atomic(path_, frame_record(encode_event(event_header())));
    } else {
      // Keep what is valid and (on resume) not after the resume step; rewrite only when something goes.
      std::string kept;
      size_t dropped = 0;
      for (const auto& record : file.records) {
        const EventRecord e = event_parse(record, path_);
        if (keep_through_step && e.file_version.empty() && e.step > *keep_through_step) {
          ++dropped;
          continue;
        }
        for (const auto& tag : event_tags(e)) written_.insert({tag, e.step});
        kept += frame_record(record);
      }
      if (dropped > 0 || file.dropped_bytes > 0) {
        if (dropped > 0)
          VDF_INFO("{}: dropped {} events after step {} (resumed run)", path_.string(), dropped, *keep_through_step);
        if (file.dropped_bytes > 0) VDF_WARN("{}: dropped a torn tail of {} bytes", path_.string(), file.dropped_bytes);
        write_file_atomic(path_, kept);
      }
    }
    file_ = std::fopen(path_.c_str(), "ab");
    VDF_CHECK(file_, "cannot open {} for appending", path_.string());
  });
}

EventFileWriter::~EventFileWriter() {
  if (file_) std::fclose(file_);
}

bool EventFileWriter::has(const std::string& tag, int64_t step) const { return written_.count({tag, step}) > 0; }

void EventFileWriter::append(const EventRecord& event) {
  const std::string framed = frame_record(encode_event(event));
  VDF_CHECK(std::fwrite(framed.data(), 1, framed.size(), file_) == framed.size(), "writing {} failed", path_.string());
  std::fflush(file_);
  for (const auto& tag : event_tags(event)) written_.insert({tag, event.step});
}

void EventFileWriter::add_scalars(int64_t step, const Scalars& scalars) {
  if (scalars.empty()) return;
  EventRecord e = event_now(step);
  for (const auto& [tag, value] : scalars) {
    SummaryValue v;
    v.tag = tag;
    v.scalar = static_cast<float>(value);
    e.values.push_back(std::move(v));
  }
  append(e);
}

void EventFileWriter::add_image(int64_t step, const std::string& tag, const torch::Tensor& image_hwc_u8) {
  const std::string png = image::encode_png(image_hwc_u8);  // checks dtype and shape
  add_png(step, tag, png, image_hwc_u8.size(0), image_hwc_u8.size(1));
}

void EventFileWriter::add_png(int64_t step, const std::string& tag, const std::string& png_bytes, int64_t height,
                              int64_t width) {
  EventRecord e = event_now(step);
  SummaryValue v;
  v.tag = tag;
  v.kind = SummaryValue::Kind::image;
  v.png = png_bytes;
  v.height = static_cast<int32_t>(height);
  v.width = static_cast<int32_t>(width);
  e.values.push_back(std::move(v));
  append(e);
}

void EventFileWriter::add_text(int64_t step, const std::string& tag, const std::string& text) {
  EventRecord e = event_now(step);
  SummaryValue v;
  v.tag = tag;
  v.kind = SummaryValue::Kind::text;
  v.text = text;
  e.values.push_back(std::move(v));
  append(e);
}

void put_scalars_in_order(const fs::path& dir, int64_t step, const Scalars& scalars) {
  with_context(fmt::format("TensorBoard event file in {}", dir.string()), [&] {
    fs::create_directories(dir);
    std::optional<fs::path> existing = find_event_file(dir);
    const fs::path path = existing ? *existing : dir / event_file_name();
    std::set<std::string> replaced;
    for (const auto& [tag, value] : scalars) replaced.insert(tag);
    std::vector<EventRecord> events;
    for (const auto& record : read_records(path).records) {
      EventRecord e = event_parse(record, path);
      if (e.step == step && e.file_version.empty()) {
        e.values.erase(std::remove_if(e.values.begin(), e.values.end(),
                                      [&](const SummaryValue& v) { return replaced.count(v.tag) > 0; }),
                       e.values.end());
        if (e.values.empty()) continue;
      }
      events.push_back(std::move(e));
    }
    if (events.empty() || events.front().file_version.empty()) events.insert(events.begin(), event_header());
    EventRecord e = event_now(step);
    for (const auto& [tag, value] : scalars) {
      SummaryValue v;
      v.tag = tag;
      v.scalar = static_cast<float>(value);
      e.values.push_back(std::move(v));
    }
    events.push_back(std::move(e));
    // The header stays first; the rest in step order (stable: same-step events keep their order).
    std::stable_sort(events.begin() + 1, events.end(),
                     [](const EventRecord& a, const EventRecord& b) { return a.step < b.step; });
    std::string bytes;
    for (const auto& ev : events) bytes += frame_record(encode_event(ev));
    write_file_atomic(path, bytes);
  });
}

}  // namespace vdf::tensorboard
