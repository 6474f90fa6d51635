// Config section `vae`: which autoencoder turns pixels into latents (ingest, sampling, eval decode).
// Settings that only one kind reads live in that kind's sub-section (`vae.taef2.*`, `vae.taehv.*`, `vae.wan.*`);
// setting another kind's sub-section is an error.
#pragma once
#include <string>

#include "framework/config/binding.h"
#include "framework/config/schema/dtype.h"

namespace vdf::config {

// taef2       : TAEF2 (madebyollin/taesd, FLUX.2 latent space), real weights, per-frame, 8x, 32 ch.
// taehv       : TAEHV-family video VAE (taehv.pth / taew2_1.pth), 4x time, 8x space, causal.
//               Empty weights = deterministic recipe weights (NOT pretrained; for tests only).
// wan         : the Wan 2.1 video VAE (diffusers AutoencoderKLWan / Wan2.1_VAE.pth): causal 3D, 4x time,
//               8x space, 16 latent channels, T = 1 + 4k frames. Empty path = random weights at a
//               chosen size (NOT pretrained; tests and pipelines without the real weights).
// random-tiny : a small per-frame TAESD-style VAE (width 16, 4 latent channels) with deterministic
//               recipe weights: fast, NOT pretrained, for quickstart pipelines and tests.
enum class VaeKind { taef2, taehv, random_tiny, wan };
VDF_CONFIG_ENUM(VaeKind, {VaeKind::taef2, "taef2"}, {VaeKind::taehv, "taehv"}, {VaeKind::random_tiny, "random-tiny"},
                {VaeKind::wan, "wan"})

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

struct WanVaeConfig {
  // A diffusers model folder (model_index.json + vae/), its vae/ folder (config.json +
  // diffusion_pytorch_model.safetensors), or one file (Wan2.1_VAE.pth, or a .safetensors in either naming).
  std::string path;
  int base_dim = 96;        // random weights / single files without config.json (Wan 2.1: 96)
  int num_res_blocks = 2;   // random weights / single files without config.json (Wan 2.1: 2)
  bool tiling = false;      // spatial tiles (memory bound for large frames)
  int tile_height = 256, tile_width = 256;                // tile size in pixels
  int tile_stride_height = 192, tile_stride_width = 192;  // tile step in pixels (overlap is blended)
  template <class V>
  void visit(V& v) {
    v("path", path, "diffusers model folder, its vae/ folder, or Wan2.1_VAE.pth; empty = random weights (not pretrained)");
    v("base_dim", base_dim, "base width for random weights and single files without config.json (Wan 2.1: 96)");
    v("num_res_blocks", num_res_blocks, "residual blocks per level for random weights and single files (Wan 2.1: 2)");
    v("tiling", tiling, "encode/decode in overlapping spatial tiles when a frame is larger than a tile");
    v("tile_height", tile_height, "tile height in pixels (multiple of 8)");
    v("tile_width", tile_width, "tile width in pixels (multiple of 8)");
    v("tile_stride_height", tile_stride_height, "vertical tile step in pixels (multiple of 8, <= tile_height)");
    v("tile_stride_width", tile_stride_width, "horizontal tile step in pixels (multiple of 8, <= tile_width)");
  }
  void validate(const Check& c) const {
    c.require(base_dim > 0 && base_dim % 2 == 0, "base_dim", base_dim, "> 0 and even");
    c.require(num_res_blocks > 0, "num_res_blocks", num_res_blocks, "> 0");
    c.require(tile_height > 0 && tile_height % 8 == 0, "tile_height", tile_height, "> 0, a multiple of 8");
    c.require(tile_width > 0 && tile_width % 8 == 0, "tile_width", tile_width, "> 0, a multiple of 8");
    c.require(tile_stride_height > 0 && tile_stride_height % 8 == 0 && tile_stride_height <= tile_height,
              "tile_stride_height", tile_stride_height, "> 0, a multiple of 8, <= tile_height");
    c.require(tile_stride_width > 0 && tile_stride_width % 8 == 0 && tile_stride_width <= tile_width,
              "tile_stride_width", tile_stride_width, "> 0, a multiple of 8, <= tile_width");
  }
};

struct VaeConfig {
  VaeKind kind = VaeKind::taef2;
  Taef2VaeConfig taef2;
  TaehvVaeConfig taehv;
  WanVaeConfig wan;
  int chunk_frames = 16;                   // frames per encoder/decoder call for per-frame VAEs (memory bound)
  std::string device = "auto";             // auto | cpu | cuda | cuda:N
  FloatType dtype = FloatType::float32;

  template <class V>
  void visit(V& v) {
    v("kind", kind, "taef2 (pretrained TAEF2), taehv (TAEHV video VAE), wan (Wan 2.1 video VAE) or random-tiny (recipe weights, tests)");
    v("taef2", taef2, "TAEF2 weights", When{kind == VaeKind::taef2, "vae.kind is taef2", "kind"});
    v("taehv", taehv, "TAEHV weights and width", When{kind == VaeKind::taehv, "vae.kind is taehv", "kind"});
    v("wan", wan, "Wan 2.1 VAE weights, size and tiling", When{kind == VaeKind::wan, "vae.kind is wan", "kind"});
    v("chunk_frames", chunk_frames, "frames per encoder/decoder call (bounds memory)");
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("dtype", dtype, "compute dtype");
  }
  void validate(const Check& c) const {
    if (kind == VaeKind::taef2) taef2.validate(c.sub("taef2"));
    if (kind == VaeKind::taehv) taehv.validate(c.sub("taehv"));
    if (kind == VaeKind::wan) wan.validate(c.sub("wan"));
    c.require(chunk_frames > 0, "chunk_frames", chunk_frames, "> 0");
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
              "auto, cpu, cuda or cuda:N");
  }
};

}  // namespace vdf::config
