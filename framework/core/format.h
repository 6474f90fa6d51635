// The one text form of tensor shapes in messages: "[64,3,3,3]" ("[]" for a scalar). Works on any
// sequence of integers (c10::IntArrayRef, std::vector<int64_t>) and needs no LibTorch header, so the
// LibTorch-free parsers (safetensors header, fuzz targets) use it too.
#pragma once
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdf {

template <typename Shape>
std::string shape_str(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape.begin(), shape.end(), ","));
}
inline std::string shape_str(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

}  // namespace vdf
