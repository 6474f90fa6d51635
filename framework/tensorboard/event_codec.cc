// Built into vdf_tensorboard_proto only (a .cc file: the framework's *.cpp glob leaves it out); see
// event_codec.h for why protobuf types stay in here.
#include "framework/tensorboard/event_codec.h"

#include "tensorboard/tensorboard_event.pb.h"

namespace vdf::tensorboard {

std::string encode_event(const EventRecord& event) {
  tbproto::Event e;
  e.set_wall_time(event.wall_time);
  e.set_step(event.step);
  if (!event.file_version.empty()) e.set_file_version(event.file_version);
  for (const auto& value : event.values) {
    auto* v = e.mutable_summary()->add_value();
    v->set_tag(value.tag);
    switch (value.kind) {
      case SummaryValue::Kind::scalar:
        v->set_simple_value(value.scalar);
        break;
      case SummaryValue::Kind::image: {
        auto* img = v->mutable_image();
        img->set_height(value.height);
        img->set_width(value.width);
        img->set_colorspace(3);  // RGB
        img->set_encoded_image_string(value.png);
        break;
      }
      case SummaryValue::Kind::text: {
        // TensorBoard's text plugin: a DT_STRING scalar tensor tagged with plugin "text".
        v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
        v->mutable_metadata()->set_data_class(tbproto::DATA_CLASS_TENSOR);
        auto* t = v->mutable_tensor();
        t->set_dtype(tbproto::DT_STRING);
        t->mutable_tensor_shape();
        t->add_string_val(value.text);
        break;
      }
    }
  }
  std::string bytes;
  e.SerializeToString(&bytes);
  return bytes;
}

bool decode_event(const std::string& bytes, EventRecord* event) {
  tbproto::Event e;
  if (!e.ParseFromString(bytes)) return false;
  *event = EventRecord();
  event->wall_time = e.wall_time();
  event->step = e.step();
  if (e.has_file_version()) event->file_version = e.file_version();
  if (e.has_summary())
    for (const auto& v : e.summary().value()) {
      SummaryValue value;
      value.tag = v.tag();
      if (v.has_image()) {
        value.kind = SummaryValue::Kind::image;
        value.png = v.image().encoded_image_string();
        value.height = v.image().height();
        value.width = v.image().width();
      } else if (v.has_tensor() && v.tensor().string_val_size() == 1) {
        value.kind = SummaryValue::Kind::text;
        value.text = v.tensor().string_val(0);
      } else {
        value.scalar = v.simple_value();
      }
      event->values.push_back(std::move(value));
    }
  return true;
}

}  // namespace vdf::tensorboard
