#include "framework/tensorboard/event_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/image/png.h"
#include "framework/tensorboard/tensorboard_event.pb.h"
#include "framework/tensorboard/tfrecord.h"

namespace vdf::tensorboard {

namespace {

double event_wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string event_serialize(const tbproto::Event& e) {
  std::string bytes;
  VDF_CHECK(e.SerializeToString(&bytes), "serializing a TensorBoard event failed");
  return bytes;
}

std::vector<std::string> event_tags(const tbproto::Event& e) {
  std::vector<std::string> tags;
  if (e.has_summary())
    for (const auto& v : e.summary().value()) tags.push_back(v.tag());
  return tags;
}

tbproto::Event event_parse(const std::string& record, const fs::path& path) {
  tbproto::Event e;
  VDF_CHECK(e.ParseFromString(record), "{}: a record is not a TensorBoard Event", path.string());
  return e;
}

std::string event_file_name() {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  const auto seconds = static_cast<int64_t>(event_wall_time());
  return fmt::format("events.out.tfevents.{}.{}", seconds, host);
}

std::string event_header() {
  tbproto::Event e;
  e.set_wall_time(event_wall_time());
  e.set_step(0);
  e.set_file_version("brain.Event:2");
  return frame_record(event_serialize(e));
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
    const tbproto::Event e = event_parse(record, path);
    out.push_back({e.step(), e.wall_time(), event_tags(e)});
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
      write_file_atomic(path_, event_header());
    } else {
      // Keep what is valid and (on resume) not after the resume step; rewrite only when something goes.
      std::string kept;
      size_t dropped = 0;
      for (const auto& record : file.records) {
        const tbproto::Event e = event_parse(record, path_);
        if (keep_through_step && !e.has_file_version() && e.step() > *keep_through_step) {
          ++dropped;
          continue;
        }
        for (const auto& tag : event_tags(e)) written_.insert({tag, e.step()});
        kept += frame_record(record);
      }
      if (dropped > 0 || file.dropped_bytes > 0) {
        if (dropped > 0) VDF_INFO("{}: dropped {} events after step {} (resumed run)", path_.string(), dropped, *keep_through_step);
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

void EventFileWriter::append(const std::string& serialized_event, int64_t step, const std::vector<std::string>& tags) {
  const std::string framed = frame_record(serialized_event);
  VDF_CHECK(std::fwrite(framed.data(), 1, framed.size(), file_) == framed.size(), "writing {} failed", path_.string());
  std::fflush(file_);
  for (const auto& tag : tags) written_.insert({tag, step});
}

void EventFileWriter::add_scalars(int64_t step, const Scalars& scalars) {
  if (scalars.empty()) return;
  tbproto::Event e;
  e.set_wall_time(event_wall_time());
  e.set_step(step);
  std::vector<std::string> tags;
  for (const auto& [tag, value] : scalars) {
    auto* v = e.mutable_summary()->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
    tags.push_back(tag);
  }
  append(event_serialize(e), step, tags);
}

void EventFileWriter::add_image(int64_t step, const std::string& tag, const torch::Tensor& image_hwc_u8) {
  const std::string png = image::encode_png(image_hwc_u8);  // checks dtype and shape
  add_png(step, tag, png, image_hwc_u8.size(0), image_hwc_u8.size(1));
}

void EventFileWriter::add_png(int64_t step, const std::string& tag, const std::string& png_bytes, int64_t height,
                              int64_t width) {
  tbproto::Event e;
  e.set_wall_time(event_wall_time());
  e.set_step(step);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  auto* img = v->mutable_image();
  img->set_height(static_cast<int32_t>(height));
  img->set_width(static_cast<int32_t>(width));
  img->set_colorspace(3);
  img->set_encoded_image_string(png_bytes);
  append(event_serialize(e), step, {tag});
}

void EventFileWriter::add_text(int64_t step, const std::string& tag, const std::string& text) {
  tbproto::Event e;
  e.set_wall_time(event_wall_time());
  e.set_step(step);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  // TensorBoard's text plugin: a DT_STRING scalar tensor tagged with plugin "text".
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  v->mutable_metadata()->set_data_class(tbproto::DATA_CLASS_TENSOR);
  auto* t = v->mutable_tensor();
  t->set_dtype(tbproto::DT_STRING);
  t->mutable_tensor_shape();
  t->add_string_val(text);
  append(event_serialize(e), step, {tag});
}

void put_scalars_in_order(const fs::path& dir, int64_t step, const Scalars& scalars) {
  with_context(fmt::format("TensorBoard event file in {}", dir.string()), [&] {
    fs::create_directories(dir);
    std::optional<fs::path> existing = find_event_file(dir);
    const fs::path path = existing ? *existing : dir / event_file_name();
    std::set<std::string> replaced;
    for (const auto& [tag, value] : scalars) replaced.insert(tag);
    std::vector<tbproto::Event> events;
    for (const auto& record : read_records(path).records) {
      tbproto::Event e = event_parse(record, path);
      if (e.step() == step && e.has_summary()) {
        auto* values = e.mutable_summary()->mutable_value();
        values->erase(std::remove_if(values->begin(), values->end(),
                                     [&](const tbproto::Summary::Value& v) { return replaced.count(v.tag()) > 0; }),
                      values->end());
        if (values->empty()) continue;
      }
      events.push_back(std::move(e));
    }
    if (events.empty() || !events.front().has_file_version()) {
      tbproto::Event header;
      header.set_wall_time(event_wall_time());
      header.set_file_version("brain.Event:2");
      events.insert(events.begin(), header);
    }
    tbproto::Event e;
    e.set_wall_time(event_wall_time());
    e.set_step(step);
    for (const auto& [tag, value] : scalars) {
      auto* v = e.mutable_summary()->add_value();
      v->set_tag(tag);
      v->set_simple_value(static_cast<float>(value));
    }
    events.push_back(std::move(e));
    // The header stays first; the rest in step order (stable: same-step events keep their order).
    std::stable_sort(events.begin() + 1, events.end(),
                     [](const tbproto::Event& a, const tbproto::Event& b) { return a.step() < b.step(); });
    std::string bytes;
    for (const auto& ev : events) bytes += frame_record(event_serialize(ev));
    write_file_atomic(path, bytes);
  });
}

}  // namespace vdf::tensorboard
