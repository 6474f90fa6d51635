// Minimal PNG encoder (8-bit RGB, zlib) for report images: frames are embedded as base64 data URIs or
// written next to the report.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace vdf::eval::report {

// image: [H,W,3] uint8 (CPU or not). Returns the PNG file bytes.
std::string encode_png(const torch::Tensor& image_u8);
std::string base64(const std::string& bytes);
// "data:image/png;base64,..."
std::string png_data_uri(const torch::Tensor& image_u8);

}  // namespace vdf::eval::report
