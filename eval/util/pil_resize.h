// PIL-compatible BICUBIC resampling of float ('F' mode) images, as clean-fid's `mode="clean"` resizer
// does per channel (python-pillow src/libImaging/Resample.c): separable, horizontal pass first, support
// 2·max(scale,1), a = −0.5, normalized double weights, double accumulation, float32 stored after each pass.
// (The uint8 RGB path for CLIP lives in framework/image/resize.h.)
#pragma once
#include <torch/torch.h>

namespace vdf::eval {

// plane: [H, W] float32 → [out_h, out_w] float32.
torch::Tensor pil_bicubic_resize_float(const torch::Tensor& plane, int64_t out_h, int64_t out_w);

}  // namespace vdf::eval
