// A small, strict JSON parser for hostile input (safetensors headers). Independent of LibTorch so the
// fuzz targets compile it alone. Rejects: invalid UTF-8 (also in \u escapes: lone surrogates),
// duplicate object keys, nesting deeper than `max_depth`, trailing garbage (trailing whitespace is
// allowed), control characters inside strings, leading zeros, NaN/Infinity. Numbers keep their text so
// integers can be read exactly.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vdf::json_lite {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;  // String: the decoded UTF-8; Number: the literal as written
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // in document order, keys unique

  bool is_object() const { return kind == Kind::Object; }
  bool is_array() const { return kind == Kind::Array; }
  bool is_string() const { return kind == Kind::String; }
  bool is_number() const { return kind == Kind::Number; }
  // The number as an exact non-negative integer (no sign, fraction or exponent, fits in uint64).
  std::optional<uint64_t> as_uint64() const;
  const Value* find(std::string_view key) const;
};

const char* kind_name(Value::Kind kind);

// Parses `text`; throws vdf::Error("<what> at byte N") on any problem.
Value parse(std::string_view text, int max_depth = 64);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);
// `s` as a JSON string literal (quotes included); control characters escaped.
std::string quote(std::string_view s);

}  // namespace vdf::json_lite
