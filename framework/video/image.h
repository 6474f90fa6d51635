// Still images through FFmpeg's image decoders: PNG and JPEG (and anything else FFmpeg's image2 demuxer
// recognizes) to uint8 [H, W, 3] RGB. Writing PNG: framework/image/png.h (no FFmpeg needed).
#pragma once
#include <torch/torch.h>

#include <string>

namespace vdf::video {

// Reads an image as uint8 [H, W, 3] RGB (alpha dropped, 16-bit reduced to 8, YCbCr JPEG converted with
// its full-range BT.601 matrix). Throws VideoError(unreadable) naming the file.
torch::Tensor read_image(const std::string& path);

}  // namespace vdf::video
