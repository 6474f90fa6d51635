// Report images as base64 data URIs (the PNG encoder is framework/image/png.h).
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace vdf::eval::report {

std::string base64(const std::string& bytes);
// "data:image/png;base64,..."
std::string png_data_uri(const torch::Tensor& image_u8);

}  // namespace vdf::eval::report
