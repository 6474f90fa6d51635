// The protobuf wire format of the few TensorFlow Event messages vdf writes and reads back, by hand.
// Why not the protobuf library: Debian's libsentencepiece.so (the T5/UMT5 tokenizer) carries its own
// protobuf-lite and exports its symbols; with Debian's libprotobuf.so in the same process the two
// interpose each other and `vdf` crashed at load time (libprotobuf's static descriptor registration called
// into sentencepiece's copy: SIGSEGV before main, measured on the merged tree). The wire format is small and
// stable; tests/experiments/test_tensorboard.cpp checks these bytes with TensorBoard's own reader.
// Field numbers (tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto):
//   Event:   wall_time 1 (double), step 2 (int64), file_version 3 (string), summary 5 (Summary)
//   Summary: value 1 (repeated Value)
//   Value:   tag 1, simple_value 2 (float), image 4 (Image), tensor 8 (TensorProto), metadata 9
//   Image:   height 1, width 2, colorspace 3, encoded_image_string 4
//   TensorProto: dtype 1 (DT_STRING = 7), tensor_shape 2, string_val 8
//   SummaryMetadata: plugin_data 1 (PluginData: plugin_name 1), data_class 4 (DATA_CLASS_TENSOR = 2)
#include "framework/tensorboard/event_codec.h"

#include <cstring>

namespace vdf::tensorboard {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void wire_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void wire_key(std::string& out, uint32_t field, WireType type) { wire_varint(out, (uint64_t{field} << 3) | type); }
void wire_uint(std::string& out, uint32_t field, uint64_t v) {
  wire_key(out, field, kVarint);
  wire_varint(out, v);
}
void wire_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  wire_key(out, field, kBytes);
  wire_varint(out, bytes.size());
  out += bytes;
}
template <class T>
void wire_fixed(std::string& out, uint32_t field, T v) {  // little-endian host (x86-64, aarch64)
  wire_key(out, field, sizeof(T) == 8 ? kFixed64 : kFixed32);
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

// A cursor over one message's bytes; every read checks the bounds.
struct WireReader {
  const char* p;
  const char* end;
  bool ok = true;
  bool done() const { return !ok || p >= end; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) break;
      const auto byte = static_cast<uint8_t>(*p++);
      v |= uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  std::string bytes() {
    const uint64_t n = varint();
    if (!ok || n > static_cast<uint64_t>(end - p)) {
      ok = false;
      return {};
    }
    std::string s(p, p + n);
    p += n;
    return s;
  }
  template <class T>
  T fixed() {
    T v{};
    if (end - p < static_cast<std::ptrdiff_t>(sizeof(T))) {
      ok = false;
      return v;
    }
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  void skip(uint32_t type) {
    switch (type) {
      case kVarint: varint(); break;
      case kFixed64: fixed<uint64_t>(); break;
      case kBytes: bytes(); break;
      case kFixed32: fixed<uint32_t>(); break;
      default: ok = false;
    }
  }
};

std::string tb_encode_value(const SummaryValue& value) {
  std::string v;
  wire_bytes(v, 1, value.tag);
  switch (value.kind) {
    case SummaryValue::Kind::scalar:
      wire_fixed<float>(v, 2, value.scalar);  // a oneof member: written even when 0
      break;
    case SummaryValue::Kind::image: {
      std::string img;
      wire_uint(img, 1, static_cast<uint32_t>(value.height));
      wire_uint(img, 2, static_cast<uint32_t>(value.width));
      wire_uint(img, 3, 3);  // RGB
      wire_bytes(img, 4, value.png);
      wire_bytes(v, 4, img);
      break;
    }
    case SummaryValue::Kind::text: {
      // TensorBoard's text plugin: a DT_STRING scalar tensor tagged with plugin "text".
      std::string tensor;
      wire_uint(tensor, 1, 7);        // DT_STRING
      wire_bytes(tensor, 2, "");      // scalar shape (no dims)
      wire_bytes(tensor, 8, value.text);
      wire_bytes(v, 8, tensor);
      std::string plugin, metadata;
      wire_bytes(plugin, 1, "text");
      wire_bytes(metadata, 1, plugin);
      wire_uint(metadata, 4, 2);      // DATA_CLASS_TENSOR
      wire_bytes(v, 9, metadata);
      break;
    }
  }
  return v;
}

bool tb_decode_value(const std::string& bytes, SummaryValue* value) {
  WireReader r{bytes.data(), bytes.data() + bytes.size()};
  while (!r.done()) {
    const uint64_t key = r.varint();
    const auto field = static_cast<uint32_t>(key >> 3), type = static_cast<uint32_t>(key & 7);
    if (field == 1 && type == kBytes) {
      value->tag = r.bytes();
    } else if (field == 2 && type == kFixed32) {
      value->kind = SummaryValue::Kind::scalar;
      value->scalar = r.fixed<float>();
    } else if (field == 4 && type == kBytes) {
      value->kind = SummaryValue::Kind::image;
      const std::string img = r.bytes();
      WireReader ir{img.data(), img.data() + img.size()};
      while (!ir.done()) {
        const uint64_t k = ir.varint();
        const auto f = static_cast<uint32_t>(k >> 3), t = static_cast<uint32_t>(k & 7);
        if (f == 1 && t == kVarint) value->height = static_cast<int32_t>(ir.varint());
        else if (f == 2 && t == kVarint) value->width = static_cast<int32_t>(ir.varint());
        else if (f == 4 && t == kBytes) value->png = ir.bytes();
        else ir.skip(t);
      }
      if (!ir.ok) return false;
    } else if (field == 8 && type == kBytes) {
      const std::string tensor = r.bytes();
      WireReader tr{tensor.data(), tensor.data() + tensor.size()};
      int strings = 0;
      std::string text;
      while (!tr.done()) {
        const uint64_t k = tr.varint();
        const auto f = static_cast<uint32_t>(k >> 3), t = static_cast<uint32_t>(k & 7);
        if (f == 8 && t == kBytes) {
          text = tr.bytes();
          ++strings;
        } else {
          tr.skip(t);
        }
      }
      if (!tr.ok) return false;
      if (strings == 1) {
        value->kind = SummaryValue::Kind::text;
        value->text = text;
      }
    } else {
      r.skip(type);
    }
  }
  return r.ok;
}

}  // namespace

std::string encode_event(const EventRecord& event) {
  std::string e;
  wire_fixed<double>(e, 1, event.wall_time);
  wire_uint(e, 2, static_cast<uint64_t>(event.step));
  if (!event.file_version.empty()) {
    wire_bytes(e, 3, event.file_version);
  } else if (!event.values.empty()) {
    std::string summary;
    for (const auto& value : event.values) wire_bytes(summary, 1, tb_encode_value(value));
    wire_bytes(e, 5, summary);
  }
  return e;
}

bool decode_event(const std::string& bytes, EventRecord* event) {
  *event = EventRecord();
  WireReader r{bytes.data(), bytes.data() + bytes.size()};
  while (!r.done()) {
    const uint64_t key = r.varint();
    const auto field = static_cast<uint32_t>(key >> 3), type = static_cast<uint32_t>(key & 7);
    if (field == 1 && type == kFixed64) {
      event->wall_time = r.fixed<double>();
    } else if (field == 2 && type == kVarint) {
      event->step = static_cast<int64_t>(r.varint());
    } else if (field == 3 && type == kBytes) {
      event->file_version = r.bytes();
    } else if (field == 5 && type == kBytes) {
      const std::string summary = r.bytes();
      WireReader sr{summary.data(), summary.data() + summary.size()};
      while (!sr.done()) {
        const uint64_t k = sr.varint();
        const auto f = static_cast<uint32_t>(k >> 3), t = static_cast<uint32_t>(k & 7);
        if (f == 1 && t == kBytes) {
          SummaryValue value;
          if (!tb_decode_value(sr.bytes(), &value)) return false;
          event->values.push_back(std::move(value));
        } else {
          sr.skip(t);
        }
      }
      if (!sr.ok) return false;
    } else {
      r.skip(type);
    }
  }
  return r.ok;
}

}  // namespace vdf::tensorboard
