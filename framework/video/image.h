// Still images through FFmpeg's image decoders/encoders: PNG and JPEG (and anything else FFmpeg's
// image2 demuxer recognizes) to uint8 [H, W, 3] RGB, and uint8 [H, W, 3] to PNG.
#pragma once
#include <torch/torch.h>

#include <string>

namespace vdf::video {

// Reads an image as uint8 [H, W, 3] RGB (alpha dropped, 16-bit reduced to 8, YCbCr JPEG converted with
// its full-range BT.601 matrix). Throws VideoError(unreadable) naming the file.
torch::Tensor read_image(const std::string& path);

// Encodes uint8 [H, W, 3] RGB as PNG bytes.
std::string encode_png(const torch::Tensor& image_hwc_u8);
// Writes a PNG atomically (temporary name, then rename). Throws vdf::Error naming the path.
void write_png(const std::string& path, const torch::Tensor& image_hwc_u8);

}  // namespace vdf::video
