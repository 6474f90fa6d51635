// Input pipelines of the standard implementations, bit-for-bit where the reference is deterministic.
// Images/frames enter as uint8 [N,H,W,3] (or [H,W,3]); outputs are network inputs (float32, NCHW/NCTHW).
#pragma once
#include <torch/torch.h>

#include <string>

#include "eval/config.h"

namespace vdf::eval {

// FID image preprocessing modes (see docs/metrics.md):
//   pytorch_fid: /255 → F.interpolate(299, bilinear, align_corners=False, no antialias) → 2x−1
//   clean:       clean-fid mode="clean": per-channel PIL 'F' bicubic to 299 on 0..255, clip → (x−128)/128
using FidPreprocess = config::FidPreprocess;  // eval.fid_preprocess
std::string to_string(FidPreprocess p);
FidPreprocess parse_fid_preprocess(const std::string& name);  // "pytorch-fid" | "clean"

// One image [H,W,3] or a batch of same-size images [N,H,W,3] uint8 → [N,3,299,299] float32.
torch::Tensor fid_input(const torch::Tensor& images_u8, FidPreprocess mode);

// FVD clip preprocessing (video [T,H,W,3] uint8 → [1,3,T,224,224] float32):
//   squash: float 0..255 → F.interpolate(224x224, bilinear, align_corners=False, no antialias) → 2x/255−1
//           (StyleGAN-V TorchScript with resize/rescale, TATS / cd-FVD)
//   videogpt: short side → 224 (bilinear, align_corners=False, long side ceil) + center crop, x/255 − 0.5
//           (wilson1yan/VideoGPT; its known [−0.5,0.5] input range)
enum class FvdPreprocess { squash, videogpt };
std::string to_string(FvdPreprocess p);
FvdPreprocess parse_fvd_preprocess(const std::string& name);  // "squash" | "videogpt"
torch::Tensor fvd_input(const torch::Tensor& clip_u8, FvdPreprocess mode, int64_t size = 224);

}  // namespace vdf::eval
