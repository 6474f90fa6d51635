#include "eval/metrics/preprocess.h"

#include <cmath>

#include "framework/image/resize.h"
#include "framework/core/error.h"

namespace vdf::eval {

namespace F = torch::nn::functional;

std::string to_string(FidPreprocess p) { return p == FidPreprocess::pytorch_fid ? "pytorch-fid" : "clean"; }

FidPreprocess parse_fid_preprocess(const std::string& name) {
  if (name == "pytorch-fid" || name == "pytorch_fid") return FidPreprocess::pytorch_fid;
  if (name == "clean" || name == "clean-fid") return FidPreprocess::clean;
  fail("FID preprocessing '{}': expected 'pytorch-fid' or 'clean'", name);
}

std::string to_string(FvdPreprocess p) { return p == FvdPreprocess::squash ? "squash" : "videogpt"; }

FvdPreprocess parse_fvd_preprocess(const std::string& name) {
  if (name == "squash") return FvdPreprocess::squash;
  if (name == "videogpt") return FvdPreprocess::videogpt;
  fail("FVD preprocessing '{}': expected 'squash' or 'videogpt'", name);
}

namespace {
torch::Tensor bilinear(const torch::Tensor& x, int64_t h, int64_t w) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

torch::Tensor as_batch(const torch::Tensor& images_u8) {
  VDF_CHECK(images_u8.scalar_type() == torch::kUInt8, "expected uint8 images, got {}", c10::toString(images_u8.scalar_type()));
  auto x = images_u8.dim() == 3 ? images_u8.unsqueeze(0) : images_u8;
  VDF_CHECK(x.dim() == 4 && x.size(3) == 3, "expected images [N,H,W,3] uint8, got {} dims", images_u8.dim());
  return x;
}
}  // namespace

torch::Tensor fid_input(const torch::Tensor& images_u8, FidPreprocess mode) {
  auto x = as_batch(images_u8);
  if (mode == FidPreprocess::pytorch_fid) {
    auto f = x.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255);  // ToTensor
    return bilinear(f, 299, 299) * 2 - 1;
  }
  // Each channel as its own PIL mode-"F" image (image::pil_resize_f32 on [H,W,3] does exactly that).
  auto cpu = x.to(torch::kCPU).to(torch::kFloat32);
  std::vector<torch::Tensor> out;
  for (int64_t n = 0; n < cpu.size(0); ++n)
    out.push_back(image::pil_resize_f32(cpu[n], 299, 299, image::PilFilter::bicubic).clamp(0, 255).permute({2, 0, 1}));
  return ((torch::stack(out, 0) - 128) / 128).contiguous().to(images_u8.device());
}

torch::Tensor fvd_input(const torch::Tensor& clip_u8, FvdPreprocess mode, int64_t size) {
  VDF_CHECK(clip_u8.dim() == 4 && clip_u8.size(3) == 3 && clip_u8.scalar_type() == torch::kUInt8,
            "expected a clip [T,H,W,3] uint8");
  auto f = clip_u8.permute({0, 3, 1, 2}).to(torch::kFloat32);  // [T,3,H,W], 0..255
  torch::Tensor r;
  if (mode == FvdPreprocess::squash) {
    r = bilinear(f, size, size);
    r = (2 * r) / 255 - 1;
  } else {
    const int64_t h = f.size(2), w = f.size(3);
    const double s = static_cast<double>(size) / std::min(h, w);
    const int64_t nh = static_cast<int64_t>(std::ceil(h * s)), nw = static_cast<int64_t>(std::ceil(w * s));
    r = bilinear(f / 255, nh, nw);
    const int64_t top = (nh - size) / 2, left = (nw - size) / 2;
    r = r.slice(2, top, top + size).slice(3, left, left + size) - 0.5;
  }
  return r.permute({1, 0, 2, 3}).unsqueeze(0).contiguous();  // [1,3,T,S,S]
}

}  // namespace vdf::eval
