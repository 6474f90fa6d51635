#ifdef VDF_WITH_VIDEO
#include "data/h5/model_stages.h"

#include <fmt/format.h>

#include "data/video/clips.h"
#include "framework/core/error.h"
#include "framework/video/decoder.h"
#include "framework/video/image.h"

namespace vdf::data {

torch::Tensor cover_and_crop(const torch::Tensor& image, int width, int height) {
  const int64_t h = image.size(0), w = image.size(1);
  int sw = width, sh = height;
  video::cover_size(int(w), int(h), width, height, &sw, &sh);
  torch::Tensor x = image.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32);
  if (sw != w || sh != h) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{sh, sw})
                              .mode(torch::kBilinear)
                              .align_corners(false)
                              .antialias(true));
  }
  const int64_t top = (sh - height) / 2, left = (sw - width) / 2;
  x = x.narrow(2, top, height).narrow(3, left, width);
  return x.round().clamp(0, 255).to(torch::kUInt8)[0].permute({1, 2, 0}).contiguous();
}

Extraction VideoClipSource::extract(const ManifestEntry& entry) {
  Extraction x;
  if (entry.is_image) {
    torch::Tensor img = video::read_image(entry.resolved.string());
    const int h = int(img.size(0)), w = int(img.size(1));
    if (w < config_.min_width || h < config_.min_height) {
      x.reject_reason = reject::too_small;
      x.detail = fmt::format("image {}x{} is below {}x{}", w, h, config_.min_width, config_.min_height);
      return x;
    }
    int tw = 0, th = 0;
    config_.target_size_for(w, h, &tw, &th);
    PixelClip c;
    c.frames = cover_and_crop(img, tw, th).unsqueeze(0);
    c.fps = 0;
    c.bucket = fmt::format("{}x{}", tw, th);
    x.accepted = true;
    x.clips.push_back(std::move(c));
    return x;
  }
  VideoExtraction v = extract_clips(entry.resolved.string(), config_, nullptr);
  x.accepted = v.accepted;
  x.reject_reason = v.reject_reason;
  x.detail = v.detail;
  for (auto& clip : v.clips) {
    PixelClip c;
    c.frames = std::move(clip.frames);
    c.start_s = clip.start_s;
    c.end_s = clip.end_s;
    c.fps = clip.fps;
    c.index = clip.index;
    c.bucket = clip.bucket;
    x.clips.push_back(std::move(c));
  }
  return x;
}

void check_clip_frames(const vae::VaeInfo& vae, const config::VideoConfig& video) {
  if (!vae.frames_one_plus_ct) return;
  const int ct = vae.ct, t = video.clip_frames;
  if ((t - 1) % ct == 0) return;
  const int below = 1 + (t - 1) / ct * ct;
  fail("config key 'video.clip_frames' = {}: VAE '{}' encodes only 1 + {}k frames; use {} or {}", t, vae.name, ct,
       below, below + ct);
}

VaeIdentity VaeLatentEncoder::identity() const {
  const vae::VaeInfo& i = vae_.info();
  VaeIdentity v;
  v.name = i.name;
  v.weights_sha256 = i.weights_sha256;
  v.latent_channels = i.latent_channels;
  v.ct = i.ct;
  v.ch = i.ch;
  v.cw = i.cw;
  v.scale = i.scale;
  v.shift = i.shift;
  v.channel_shift = i.channel_shift;
  v.channel_scale = i.channel_scale;
  v.pixel_range = i.pixel_range;
  return v;
}

EncodedLatents VaeLatentEncoder::encode(const torch::Tensor& video) {
  EncodedLatents b;
  if (posterior_ && !vae_.info().deterministic) {
    auto [mean, logvar] = vae_.encode_posterior(video);
    b.mean = mean;
    b.logvar = logvar;
  } else {
    b.mean = vae_.encode(video);
  }
  return b;
}

TextIdentity TextCaptionEncoder::identity() const {
  TextIdentity t;
  t.name = encoder_.name();
  t.weights_sha256 = encoder_.weights_sha256();
  t.max_length = encoder_.max_length();
  t.dim = encoder_.dim();
  t.pooled_dim = encoder_.pooled_dim();
  return t;
}

CaptionBatch TextCaptionEncoder::encode(const std::vector<std::string>& captions) {
  text::TextEmbedding e = encoder_.encode(captions);
  return {e.tokens, e.mask, e.pooled};
}

}  // namespace vdf::data
#endif
