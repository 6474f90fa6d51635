// Text forms of tensor shapes for error messages: "[64, 3, 3, 3]".
#pragma once
#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdf {

inline std::string shape_str(c10::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
inline std::string shape_str(const std::vector<int64_t>& shape) { return shape_str(c10::IntArrayRef(shape)); }

}  // namespace vdf
