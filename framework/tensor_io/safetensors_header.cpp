#include "framework/tensor_io/safetensors_header.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "framework/core/error.h"
#include "framework/core/format.h"

namespace vdf::tensor_io {

size_t safetensors_itemsize(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

namespace {

using Json = nlohmann::ordered_json;

// Builds an ordered_json document from SAX events, adding the checks the library parser does not make.
class StrictSax : public nlohmann::json_sax<Json> {
 public:
  explicit StrictSax(int max_depth) : max_depth_(max_depth) {}
  Json root;
  std::string error;  // set when a callback returned false

  bool null() override { return put(Json(nullptr)); }
  bool boolean(bool v) override { return put(Json(v)); }
  bool number_integer(number_integer_t v) override { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return put(Json(v)); }
  bool string(string_t& v) override { return put(Json(std::move(v))); }
  bool binary(binary_t&) override { return fail_with("binary values are not JSON"); }
  bool start_object(std::size_t) override { return open(Json::object()); }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) return fail_with(fmt::format("duplicate key {}", Json(k).dump()));
    key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_array() override {
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what;  // the message quotes the input: keep it printable ASCII
    for (unsigned char c : std::string(e.what())) {
      if (c < 0x20 || c >= 0x7f) what += fmt::format("\\x{:02x}", c);
      else what += static_cast<char>(c);
    }
    return fail_with(std::move(what));
  }

 private:
  bool fail_with(std::string what) {
    error = std::move(what);
    return false;
  }
  Json* put_value(Json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    // Pointers into a parent stay valid while it is open: only the innermost container grows.
    return &(parent[key_] = std::move(v));
  }
  bool put(Json v) {
    put_value(std::move(v));
    return true;
  }
  bool open(Json container) {
    if (static_cast<int>(stack_.size()) > max_depth_)
      return fail_with(fmt::format("JSON nested deeper than {} levels", max_depth_));
    stack_.push_back(put_value(std::move(container)));
    keys_.emplace_back();
    return true;
  }
  int max_depth_;
  std::vector<Json*> stack_;                         // the open containers
  std::vector<std::unordered_set<std::string>> keys_;  // keys seen in each open container
  std::string key_;                                  // the key of the next object member
};

const char* kind_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "?";
  }
}

std::optional<uint64_t> as_uint64(const Json& v) {
  if (!v.is_number_unsigned()) return std::nullopt;
  return v.get<uint64_t>();
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

TensorInfo parse_entry(const std::string& key, const Json& v, uint64_t data_size) {
  VDF_CHECK(v.is_object(), "entry must be an object with dtype, shape, data_offsets, got {}", kind_name(v));
  TensorInfo info;
  info.name = key;
  const Json* dtype = nullptr;
  const Json* shape = nullptr;
  const Json* offsets = nullptr;
  for (const auto& [field, value] : v.items()) {
    if (field == "dtype") dtype = &value;
    else if (field == "shape") shape = &value;
    else if (field == "data_offsets") offsets = &value;
    else fail("unknown field '{}' (expected dtype, shape, data_offsets)", printable(field));
  }
  VDF_CHECK(dtype && shape && offsets, "missing field '{}'",
            !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
  VDF_CHECK(dtype->is_string(), "dtype must be a string, got {}", kind_name(*dtype));
  info.dtype = dtype->get<std::string>();
  size_t itemsize = safetensors_itemsize(info.dtype);
  VDF_CHECK(itemsize != 0, "unsupported dtype '{}' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)",
            printable(info.dtype));

  VDF_CHECK(shape->is_array(), "shape must be an array, got {}", kind_name(*shape));
  VDF_CHECK(shape->size() <= static_cast<size_t>(kMaxRank), "shape has {} dimensions (at most {})", shape->size(),
            kMaxRank);
  uint64_t numel = 1;
  bool overflow = false;
  for (const auto& d : *shape) {
    auto dim = as_uint64(d);
    VDF_CHECK(dim.has_value() && *dim <= static_cast<uint64_t>(INT64_MAX),
              "shape entries must be non-negative integers, got '{}'", d.is_number() ? d.dump() : kind_name(d));
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

  VDF_CHECK(offsets->is_array() && offsets->size() == 2, "data_offsets must be an array of two integers [begin, end]");
  auto begin = as_uint64((*offsets)[0]);
  auto end = as_uint64((*offsets)[1]);
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

  Json root;
  try {
    root = parse_strict_json(text, 8);
  } catch (const Error& e) {
    fail("{}: header is not valid JSON: {}", where, e.what());
  }
  VDF_CHECK(root.is_object(), "{}: header must be a JSON object, got {}", where, kind_name(root));

  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      VDF_CHECK(value.is_object(), "{}: __metadata__ must be an object of strings, got {}", where, kind_name(value));
      for (const auto& [mk, mv] : value.items()) {
        VDF_CHECK(mv.is_string(), "{}: __metadata__ '{}' must be a string, got {}", where, printable(mk),
                  kind_name(mv));
        out.metadata[mk] = mv.get<std::string>();
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

Json parse_strict_json(std::string_view text, int max_depth) {
  VDF_CHECK(text.substr(0, 3) != "\xEF\xBB\xBF", "JSON starts with a byte order mark");
  StrictSax sax(max_depth);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  VDF_CHECK(ok, "{}", sax.error.empty() ? std::string("invalid JSON") : sax.error);
  return std::move(sax.root);
}

std::string json_quote(const std::string& s, const std::string& what) {
  try {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::type_error&) {
    fail("{} is not valid UTF-8", what);
  }
}

}  // namespace vdf::tensor_io
