#include "framework/models/clip/preprocess.h"

#include "framework/core/error.h"
#include "framework/image/resize.h"

namespace vdf::clip {

torch::Tensor clip_resize_crop(const torch::Tensor& hwc, int64_t n_px) {
  VDF_CHECK(hwc.dim() == 3 && hwc.size(2) == 3 && hwc.scalar_type() == torch::kUInt8,
            "CLIP preprocess: expected uint8 [H,W,3], got {} {}", fmt::join(hwc.sizes(), ","), c10::toString(hwc.scalar_type()));
  auto [h, w] = image::short_side_resize_shape(hwc.size(0), hwc.size(1), n_px);
  auto resized = (h == hwc.size(0) && w == hwc.size(1)) ? hwc.contiguous()
                                                        : image::pil_resize_u8(hwc, w, h, image::PilFilter::bicubic);
  return image::center_crop_hwc(resized, n_px, n_px).contiguous();
}

torch::Tensor clip_normalize(const torch::Tensor& hwc) {
  auto x = hwc.permute({2, 0, 1}).to(torch::kFloat32).div(255.0f);
  auto mean = torch::tensor({static_cast<float>(kClipMean[0]), static_cast<float>(kClipMean[1]),
                             static_cast<float>(kClipMean[2])}).reshape({3, 1, 1});
  auto std = torch::tensor({static_cast<float>(kClipStd[0]), static_cast<float>(kClipStd[1]),
                            static_cast<float>(kClipStd[2])}).reshape({3, 1, 1});
  return ((x - mean) / std).contiguous();
}

torch::Tensor clip_preprocess(const torch::Tensor& hwc, int64_t n_px) { return clip_normalize(clip_resize_crop(hwc, n_px)); }

}  // namespace vdf::clip
