// CLIP image preprocessing (openai/CLIP clip.py _transform(n_px)): PIL bicubic resize of the short side
// to n_px (long side int(n_px*long/short)), torchvision CenterCrop(n_px), ToTensor (/255), Normalize
// with the CLIP mean/std. Bit-exact uint8 stage, float32 normalize.
#pragma once
#include <torch/torch.h>

namespace vdf::clip {

constexpr double kClipMean[3] = {0.48145466, 0.4578275, 0.40821073};
constexpr double kClipStd[3] = {0.26862954, 0.26130258, 0.27577711};

// uint8 [H,W,3] -> uint8 [n_px, n_px, 3] (Resize + CenterCrop)
torch::Tensor clip_resize_crop(const torch::Tensor& hwc_u8, int64_t n_px = 224);
// uint8 [n,n,3] -> float32 [3,n,n] normalized
torch::Tensor clip_normalize(const torch::Tensor& hwc_u8);
// The complete transform: uint8 [H,W,3] -> float32 [3,n_px,n_px]
torch::Tensor clip_preprocess(const torch::Tensor& hwc_u8, int64_t n_px = 224);

}  // namespace vdf::clip
