#include "framework/tensor_io/safetensors_header.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "framework/core/error.h"
#include "framework/tensor_io/json_lite.h"

namespace vdf::tensor_io {

size_t safetensors_itemsize(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

// A printable form of a key that may hold arbitrary bytes (only used in messages).
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}

TensorInfo parse_entry(const std::string& key, const json_lite::Value& v, uint64_t data_size) {
  using json_lite::Value;
  VDF_CHECK(v.is_object(), "entry must be an object with dtype, shape, data_offsets, got {}",
            json_lite::kind_name(v.kind));
  TensorInfo info;
  info.name = key;
  const Value* dtype = nullptr;
  const Value* shape = nullptr;
  const Value* offsets = nullptr;
  for (const auto& [field, value] : v.object) {
    if (field == "dtype") dtype = &value;
    else if (field == "shape") shape = &value;
    else if (field == "data_offsets") offsets = &value;
    else fail("unknown field '{}' (expected dtype, shape, data_offsets)", printable(field));
  }
  VDF_CHECK(dtype && shape && offsets, "missing field '{}'",
            !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
  VDF_CHECK(dtype->is_string(), "dtype must be a string, got {}", json_lite::kind_name(dtype->kind));
  info.dtype = dtype->text;
  size_t itemsize = safetensors_itemsize(info.dtype);
  VDF_CHECK(itemsize != 0, "unsupported dtype '{}' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)",
            printable(info.dtype));

  VDF_CHECK(shape->is_array(), "shape must be an array, got {}", json_lite::kind_name(shape->kind));
  VDF_CHECK(shape->array.size() <= static_cast<size_t>(kMaxRank), "shape has {} dimensions (at most {})",
            shape->array.size(), kMaxRank);
  uint64_t numel = 1;
  bool overflow = false;
  for (const auto& d : shape->array) {
    auto dim = d.as_uint64();
    VDF_CHECK(dim.has_value() && *dim <= static_cast<uint64_t>(INT64_MAX),
              "shape entries must be non-negative integers, got '{}'",
              d.is_number() ? d.text : json_lite::kind_name(d.kind));
    info.shape.push_back(static_cast<int64_t>(*dim));
    if (!overflow && __builtin_mul_overflow(numel, *dim, &numel)) overflow = true;
  }
  uint64_t nbytes = 0;
  if (!overflow && __builtin_mul_overflow(numel, static_cast<uint64_t>(itemsize), &nbytes)) overflow = true;
  // A shape whose byte size overflows is only acceptable if some dimension is 0 (then numel is 0
  // regardless); otherwise it cannot fit any file.
  bool has_zero = std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end();
  if (has_zero) numel = 0, nbytes = 0, overflow = false;
  VDF_CHECK(!overflow, "shape {} with dtype {} is absurd (byte size overflows 64 bits)", shape_str(info.shape),
            info.dtype);

  VDF_CHECK(offsets->is_array() && offsets->array.size() == 2,
            "data_offsets must be an array of two integers [begin, end]");
  auto begin = offsets->array[0].as_uint64();
  auto end = offsets->array[1].as_uint64();
  VDF_CHECK(begin && end, "data_offsets must be non-negative integers");
  info.begin = *begin;
  info.end = *end;
  VDF_CHECK(info.end >= info.begin, "data_offsets [{},{}]: end is before begin", info.begin, info.end);
  VDF_CHECK(info.end <= data_size, "data_offsets [{},{}] are beyond the data section ({} bytes; file truncated?)",
            info.begin, info.end, data_size);
  VDF_CHECK(info.end - info.begin == nbytes,
            "data_offsets [{},{}] hold {} bytes but dtype {} shape {} needs {} bytes", info.begin, info.end,
            info.end - info.begin, info.dtype, shape_str(info.shape), nbytes);
  return info;
}

}  // namespace

ParsedHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& name) {
  const std::string where = fmt::format("safetensors '{}'", name);
  ParsedHeader out;
  VDF_CHECK(size >= 8, "{}: file is {} bytes; too short to hold the 8-byte header length (truncated?)", where,
            size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  VDF_CHECK(n <= kMaxHeaderBytes, "{}: header length {} is absurd (limit {} bytes); not a safetensors file?",
            where, n, kMaxHeaderBytes);
  VDF_CHECK(n <= size - 8, "{}: header length {} is beyond the end of the file ({} bytes; truncated?)", where,
            n, size);
  VDF_CHECK(n >= 2, "{}: header length {} is too small for a JSON object", where, n);
  out.data_start = 8 + n;
  out.data_size = size - out.data_start;
  std::string_view text(reinterpret_cast<const char*>(data) + 8, static_cast<size_t>(n));

  json_lite::Value root;
  try {
    root = json_lite::parse(text, 8);
  } catch (const Error& e) {
    fail("{}: header is not valid JSON: {}", where, e.what());
  }
  VDF_CHECK(root.is_object(), "{}: header must be a JSON object, got {}", where, json_lite::kind_name(root.kind));

  for (const auto& [key, value] : root.object) {
    if (key == "__metadata__") {
      VDF_CHECK(value.is_object(), "{}: __metadata__ must be an object of strings, got {}", where,
                json_lite::kind_name(value.kind));
      for (const auto& [mk, mv] : value.object) {
        VDF_CHECK(mv.is_string(), "{}: __metadata__ '{}' must be a string, got {}", where, printable(mk),
                  json_lite::kind_name(mv.kind));
        out.metadata[mk] = mv.text;
      }
      continue;
    }
    VDF_CHECK(!key.empty(), "{}: a tensor has an empty name", where);
    try {
      out.infos.push_back(parse_entry(key, value, out.data_size));
    } catch (const Error& e) {
      fail("{}: tensor '{}': {}", where, printable(key), e.what());
    }
  }

  std::sort(out.infos.begin(), out.infos.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.name < b.name;
  });
  // Overlaps: sorted by begin, each non-empty tensor must start at or after the end of the previous
  // non-empty one.
  const TensorInfo* prev = nullptr;
  for (const auto& info : out.infos) {
    if (info.begin == info.end) continue;
    if (prev) {
      VDF_CHECK(info.begin >= prev->end, "{}: tensor '{}' data_offsets [{},{}] overlap tensor '{}' [{},{}]", where,
                printable(info.name), info.begin, info.end, printable(prev->name), prev->begin, prev->end);
    }
    prev = &info;
  }
  return out;
}

}  // namespace vdf::tensor_io
