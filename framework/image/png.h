// The one PNG encoder of vdf (8-bit RGB, zlib deflate, no FFmpeg needed): report images (embedded as
// data URIs by eval/report), frames written by `vdf normalize`, test fixtures. Reading images (PNG, JPEG,
// ...) goes through FFmpeg: framework/video/image.h.
#pragma once
#include <torch/torch.h>

#include <string>

namespace vdf::image {

// image: uint8 [H, W, 3] RGB (any device, any layout). Returns the PNG file bytes. Throws vdf::Error for
// another dtype or shape, or an empty image.
std::string encode_png(const torch::Tensor& image_hwc_u8);
// Writes a PNG atomically (temporary name, then rename). Throws vdf::Error naming the path.
void write_png(const std::string& path, const torch::Tensor& image_hwc_u8);

}  // namespace vdf::image
