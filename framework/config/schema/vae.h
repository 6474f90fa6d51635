// Config section `vae`: which autoencoder turns pixels into latents (ingest, sampling, eval decode).
// Settings that only one kind reads live in that kind's sub-section (`vae.taef2.*`, `vae.taehv.*`);
// setting another kind's sub-section is an error.
#pragma once
#include <string>

#include "framework/config/binding.h"
#include "framework/config/schema/dtype.h"

namespace vdf::config {

// taef2       : TAEF2 (madebyollin/taesd, FLUX.2 latent space), real weights, per-frame, 8x, 32 ch.
// taehv       : TAEHV-family video VAE (taehv.pth / taew2_1.pth), 4x time, 8x space, causal.
//               Empty weights = deterministic recipe weights (NOT pretrained; for tests only).
// random-tiny : a small per-frame TAESD-style VAE (width 16, 4 latent channels) with deterministic
//               recipe weights: fast, NOT pretrained, for quickstart pipelines and tests.
enum class VaeKind { taef2, taehv, random_tiny };
VDF_CONFIG_ENUM(VaeKind, {VaeKind::taef2, "taef2"}, {VaeKind::taehv, "taehv"}, {VaeKind::random_tiny, "random-tiny"})

struct Taef2VaeConfig {
  std::string encoder_path;  // empty = ../shared/assets/vae/taef2_encoder.pth
  std::string decoder_path;  // empty = ../shared/assets/vae/taef2_decoder.pth
  template <class V>
  void visit(V& v) {
    v("encoder_path", encoder_path, "encoder weights (.pth/.safetensors); empty = shared assets");
    v("decoder_path", decoder_path, "decoder weights (.pth/.safetensors); empty = shared assets");
  }
  void validate(const Check&) const {}
};

struct TaehvVaeConfig {
  std::string weights_path;  // one .pth/.safetensors with encoder.* and decoder.* keys
  int latent_channels = 16;  // 16 for taehv.pth / taew2_1.pth
  template <class V>
  void visit(V& v) {
    v("weights_path", weights_path, "weights (taehv.pth, taew2_1.pth); empty = recipe weights (not pretrained)");
    v("latent_channels", latent_channels, "latent channels (16 for taehv.pth / taew2_1.pth)");
  }
  void validate(const Check& c) const { c.require(latent_channels > 0, "latent_channels", latent_channels, "> 0"); }
};

struct VaeConfig {
  VaeKind kind = VaeKind::taef2;
  Taef2VaeConfig taef2;
  TaehvVaeConfig taehv;
  int chunk_frames = 16;                   // frames per encoder/decoder call for per-frame VAEs (memory bound)
  std::string device = "auto";             // auto | cpu | cuda | cuda:N
  FloatType dtype = FloatType::float32;

  template <class V>
  void visit(V& v) {
    v("kind", kind, "taef2 (pretrained TAEF2), taehv (TAEHV video VAE) or random-tiny (recipe weights, tests)");
    v("taef2", taef2, "TAEF2 weights", When{kind == VaeKind::taef2, "vae.kind is taef2", "kind"});
    v("taehv", taehv, "TAEHV weights and width", When{kind == VaeKind::taehv, "vae.kind is taehv", "kind"});
    v("chunk_frames", chunk_frames, "frames per encoder/decoder call (bounds memory)");
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("dtype", dtype, "compute dtype");
  }
  void validate(const Check& c) const {
    if (kind == VaeKind::taef2) taef2.validate(c.sub("taef2"));
    if (kind == VaeKind::taehv) taehv.validate(c.sub("taehv"));
    c.require(chunk_frames > 0, "chunk_frames", chunk_frames, "> 0");
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
              "auto, cpu, cuda or cuda:N");
  }
};

}  // namespace vdf::config
