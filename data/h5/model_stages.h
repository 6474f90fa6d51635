// The production stages of `vdf ingest`: clips from FFmpeg (data/video/clips.h, images via
// framework/video/image.h), latents from a vdf::vae::Vae, caption embeddings from a
// vdf::text::TextEncoder. Compiled with HDF5 and FFmpeg (VDF_WITH_VIDEO).
#pragma once
#ifdef VDF_WITH_VIDEO
#include <memory>

#include "data/ingest/stages.h"
#include "data/config/video.h"
#include "framework/models/text/text_encoder.h"
#include "framework/models/vae/vae.h"

namespace vdf::data {

// Videos through extract_clips (without its shared duplicate index: the pipeline filters duplicates
// in manifest order, see IngestStages::signature). Images: read, scaled to cover the target size
// (video.width x video.height, or the nearest bucket) with antialiased bilinear, center-cropped; a
// one-frame clip; too_small below video.min_width x video.min_height.
class VideoClipSource : public ClipSource {
 public:
  explicit VideoClipSource(config::VideoConfig config) : config_(std::move(config)) {}
  Extraction extract(const ManifestEntry& entry) override;

 private:
  config::VideoConfig config_;
};

class VaeLatentEncoder : public LatentEncoder {
 public:
  VaeLatentEncoder(vae::Vae& vae, bool posterior) : vae_(vae), posterior_(posterior) {}
  VaeIdentity identity() const override;
  EncodedLatents encode(const torch::Tensor& video) override;
  torch::Device device() const override { return vae_.device(); }

 private:
  vae::Vae& vae_;
  bool posterior_;
};

class TextCaptionEncoder : public CaptionEncoder {
 public:
  explicit TextCaptionEncoder(text::TextEncoder& encoder) : encoder_(encoder) {}
  TextIdentity identity() const override;
  CaptionBatch encode(const std::vector<std::string>& captions) override;

 private:
  text::TextEncoder& encoder_;
};

// Before any input is read: a VAE that takes only 1 + ct k frames (Wan) needs video.clip_frames of that
// form; otherwise a vdf::Error naming the key, its value and the nearest valid counts.
void check_clip_frames(const vae::VaeInfo& vae, const config::VideoConfig& video);

// Resizes uint8 [H,W,3] to cover (w,h) keeping the aspect ratio, then center-crops to exactly (w,h).
torch::Tensor cover_and_crop(const torch::Tensor& image_hwc_u8, int width, int height);

}  // namespace vdf::data
#endif
