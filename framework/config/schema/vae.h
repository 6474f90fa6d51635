// Config section `vae`: which autoencoder turns pixels into latents (ingest, sampling, eval decode).
#pragma once
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

struct VaeConfig {
  // taef2       : TAEF2 (madebyollin/taesd, FLUX.2 latent space), real weights, per-frame, 8x, 32 ch.
  // taehv       : TAEHV-family video VAE (taehv.pth / taew2_1.pth), 4x time, 8x space, causal.
  //               Empty weights = deterministic recipe weights (NOT pretrained; for tests only).
  // random-tiny : a small per-frame TAESD-style VAE (width 16, 4 latent channels) with deterministic
  //               recipe weights: fast, NOT pretrained, for quickstart pipelines and tests.
  std::string kind = "taef2";
  std::string encoder_path;        // taef2: empty = ../shared/assets/vae/taef2_encoder.pth
  std::string decoder_path;        // taef2: empty = ../shared/assets/vae/taef2_decoder.pth
  std::string weights_path;        // taehv: one .pth/.safetensors with encoder.* and decoder.* keys
  int latent_channels = 16;        // taehv only (16 for taehv.pth / taew2_1.pth)
  int chunk_frames = 16;           // frames per encoder/decoder call for per-frame VAEs (memory bound)
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string dtype = "float32";   // float32 | float16 | bfloat16

  template <class V>
  void visit(V& v) {
    v("kind", kind, "taef2 | taehv | random-tiny");
    v("encoder_path", encoder_path, "taef2 encoder weights (.pth/.safetensors); empty = shared assets");
    v("decoder_path", decoder_path, "taef2 decoder weights (.pth/.safetensors); empty = shared assets");
    v("weights_path", weights_path, "taehv weights (taehv.pth, taew2_1.pth); empty = recipe weights (not pretrained)");
    v("latent_channels", latent_channels, "taehv latent channels (16 for taehv.pth / taew2_1.pth)");
    v("chunk_frames", chunk_frames, "frames per encoder/decoder call (bounds memory)");
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("dtype", dtype, "float32 | float16 | bfloat16");
  }
  void validate(const Check& c) const {
    c.require(kind == "taef2" || kind == "taehv" || kind == "random-tiny", "kind", kind,
              "taef2, taehv or random-tiny");
    c.require(latent_channels > 0, "latent_channels", latent_channels, "> 0");
    c.require(chunk_frames > 0, "chunk_frames", chunk_frames, "> 0");
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
              "auto, cpu, cuda or cuda:N");
    c.require(dtype == "float32" || dtype == "float16" || dtype == "bfloat16", "dtype", dtype,
              "float32, float16 or bfloat16");
  }
};

}  // namespace vdf::config
