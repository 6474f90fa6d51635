// The safetensors header, parsed and checked without LibTorch (the fuzz target compiles this alone).
// Every check that protects a reader from a hostile file lives here: header length, JSON, entry
// structure, dtype, shape and offsets against the actual data size.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vdf::tensor_io {

struct TensorInfo {
  std::string name;
  std::string dtype;            // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets relative to the start of the data section
};

// Limits applied to hostile files.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // 100 MB of JSON
constexpr int kMaxRank = 16;

// Bytes per element of a safetensors dtype name, or 0 when the name is not supported.
size_t safetensors_itemsize(const std::string& dtype);

struct ParsedHeader {
  std::vector<TensorInfo> infos;  // sorted by (begin, name)
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // 8 + header length
  uint64_t data_size = 0;   // file size - data_start
};

// Parses the header of a safetensors file held in [data, data+size). `name` (usually the path) is put
// in every error message: "safetensors 'x.safetensors': tensor 'w': data_offsets [0,8] hold 8 bytes
// but dtype F32 shape [4] needs 16". Throws vdf::Error.
ParsedHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& name);

// Strict JSON for hostile input, on nlohmann-json's SAX parser: beyond what that parser already rejects
// (invalid UTF-8, lone surrogates in \u escapes, control characters in strings, leading zeros,
// NaN/Infinity, trailing garbage), also duplicate object keys, nesting deeper than `max_depth`, and a
// byte order mark. Objects keep document order. Integers keep their exact value: only a literal
// without sign, fraction or exponent that fits in 64 bits is `is_number_unsigned()`. Throws vdf::Error.
nlohmann::ordered_json parse_strict_json(std::string_view text, int max_depth = 64);

// `s` as a JSON string literal (quotes included); throws vdf::Error naming `what` when `s` is not
// well-formed UTF-8.
std::string json_quote(const std::string& s, const std::string& what);

}  // namespace vdf::tensor_io
