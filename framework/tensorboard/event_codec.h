// TensorFlow Event messages as plain C++ values, encoded and decoded in the protobuf wire format by hand
// (event_codec.cpp says why not with the protobuf library). Header: standard library only.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vdf::tensorboard {

struct SummaryValue {
  enum class Kind { scalar, image, text };
  std::string tag;
  Kind kind = Kind::scalar;
  float scalar = 0;      // simple_value (TensorBoard stores scalars as float32)
  std::string png;       // image: encoded PNG
  int32_t height = 0, width = 0;
  std::string text;      // text plugin: a DT_STRING scalar tensor
};

struct EventRecord {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;           // non-empty: the file's header event ("brain.Event:2")
  std::vector<SummaryValue> values;   // the summary (empty for the header)
};

// Serialized tensorflow.Event (the field numbers are listed in event_codec.cpp).
std::string encode_event(const EventRecord& event);
// Parses one serialized Event; false when the bytes are not one (or hold kinds vdf does not write, which
// are kept as values of kind `scalar` with their tag only).
bool decode_event(const std::string& bytes, EventRecord* event);

}  // namespace vdf::tensorboard
