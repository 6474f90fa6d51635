// Image resizing that matches the reference Python stacks exactly (pure tensor code, no FFmpeg):
//  * PIL (Pillow 9.x) Image.resize with its separable filters, on 8-bit images (fixed-point path,
//    bit-exact: torchvision Resize on PIL images, CLIP preprocessing) and on float "F" images
//    (double accumulation: clean-fid's per-channel float resize).
//  * PyTorch F.interpolate(mode='bilinear', align_corners=False, antialias=False) (pytorch-fid, I3D).
//  * torchvision's Resize(int) output size rule and CenterCrop offsets.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>

namespace vdf::image {

enum class PilFilter { box, bilinear, hamming, bicubic, lanczos };
PilFilter parse_pil_filter(const std::string& name);  // "box", "bilinear", "hamming", "bicubic", "lanczos"

// uint8 [H, W, C] (any C, contiguous or not) -> uint8 [out_h, out_w, C]; Pillow's 8bpc algorithm:
// horizontal pass then vertical pass, 22-bit fixed-point coefficients, uint8 intermediate.
torch::Tensor pil_resize_u8(const torch::Tensor& hwc, int64_t out_w, int64_t out_h, PilFilter filter);
// float [H, W] or [H, W, C] (each channel as its own mode-"F" image) -> float32; Pillow's 32bpc path.
torch::Tensor pil_resize_f32(const torch::Tensor& hw_or_hwc, int64_t out_w, int64_t out_h, PilFilter filter);

// F.interpolate(x, size, mode='bilinear', align_corners=False, antialias=False) for NCHW float tensors.
torch::Tensor torch_bilinear(const torch::Tensor& nchw, int64_t out_h, int64_t out_w);

// torchvision Resize(size) for an int size: the short side becomes `size`, the long side
// int(size * long / short). Returns {out_h, out_w}.
std::pair<int64_t, int64_t> short_side_resize_shape(int64_t h, int64_t w, int64_t size);
// torchvision CenterCrop offsets: top = int(round((h - crop_h) / 2)), Python round (half to even).
std::pair<int64_t, int64_t> center_crop_offsets(int64_t h, int64_t w, int64_t crop_h, int64_t crop_w);
// Center crop of an HWC tensor (crop must fit).
torch::Tensor center_crop_hwc(const torch::Tensor& hwc, int64_t crop_h, int64_t crop_w);

}  // namespace vdf::image
