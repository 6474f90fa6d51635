// The VAE interface: pixels [B,3,T,H,W] in [0,1] <-> latents [B,C,T',H',W'].
//
// Every VAE states its latent channels, compression (ct, ch, cw), scale/shift and pixel range in a
// VaeInfo, which ingest stores as shard attributes so a shard cannot be read with the wrong VAE.
// encode() returns *scaled* latents: (raw - shift) * scale; decode() takes scaled latents. VAEs with a
// per-channel normalization (Wan: latents_mean / latents_std) state it in channel_shift / channel_scale
// instead: scaled[c] = (raw[c] - channel_shift[c]) * channel_scale[c] (scale 1, shift 0 then).
// Frame counts: per-frame VAEs (ct = 1) map T -> T. Causal video VAEs with ct = 4 (TAEHV) map
// T -> ceil(T / 4) latent frames and decode T' -> 4 T' - 3 frames, so clips of 4k+1 frames round-trip.
// VAEs with frames_one_plus_ct (Wan) accept only T = 1 + ct k (-> 1 + k latents) and throw otherwise.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/schema/vae.h"

namespace vdf::vae {

struct VaeInfo {
  std::string name;              // "taef2", "taehv", "wan2.1-vae", "random-tiny" (+ "(recipe weights, not pretrained)")
  int latent_channels = 0;
  int ct = 1, ch = 8, cw = 8;    // compression in time, height, width
  double scale = 1.0, shift = 0.0;  // scaled = (raw - shift) * scale
  std::string pixel_range = "[0,1]";  // the range encode() expects and decode() returns
  std::string weights_path;      // "enc.pth;dec.pth" for two-file VAEs; empty for recipe weights
  std::string weights_sha256;    // sha256 of the weights file(s) ("a;b"), or "recipe:<name>"
  bool deterministic = true;     // true: encode_posterior's logvar is -inf (no posterior variance)
  bool pretrained = true;        // false for recipe/random weights
  bool frames_one_plus_ct = false;  // true: encode() takes only 1 + ct*k frames (Wan); clips must be cut so
  // per channel (empty = none): (raw[c] - channel_shift[c]) * channel_scale[c]; last, so brace-initialized
  // infos of the fields above keep their meaning
  std::vector<double> channel_shift, channel_scale;
};

class Vae {
 public:
  virtual ~Vae() = default;
  virtual const VaeInfo& info() const = 0;
  // video float [B,3,T,H,W] in [0,1] (any float dtype/device) -> scaled latents [B,C,T',H/ch,W/cw]
  // in the VAE's dtype on its device. H and W must be multiples of ch and cw.
  virtual torch::Tensor encode(const torch::Tensor& video) = 0;
  // Posterior mean and log-variance in the scaled latent space. Deterministic VAEs (all in this
  // file's implementations) return mean = encode(video) and logvar filled with -inf.
  virtual std::pair<torch::Tensor, torch::Tensor> encode_posterior(const torch::Tensor& video);
  // scaled latents [B,C,T',h,w] -> video [B,3,T,H,W] in [0,1] (clamped)
  virtual torch::Tensor decode(const torch::Tensor& latents) = 0;
  virtual void to(torch::Device device, torch::Dtype dtype) = 0;
  virtual torch::Device device() const = 0;
  virtual torch::Dtype dtype() const = 0;

  // Latent frames for T input frames, and frames decoded from T' latents.
  int64_t latent_frames(int64_t frames) const;
  int64_t decoded_frames(int64_t latent_frames) const;
};

// Builds the VAE of a config (loads weights, moves to device/dtype). Throws vdf::Error naming files.
std::unique_ptr<Vae> make_vae(const config::VaeConfig& config);

// Per-frame VAEs: folds time into batch, runs fn on chunks of at most chunk_frames images
// [n,C,H,W], and unfolds the result back to [B,C',T,H',W'].
torch::Tensor map_frames(const torch::Tensor& video, int64_t chunk_frames,
                         const std::function<torch::Tensor(const torch::Tensor&)>& fn);

}  // namespace vdf::vae
