// The shape of a Wan 2.1 video VAE (diffusers `AutoencoderKLWan`, original `Wan2.1_VAE.pth`): what a
// diffusers `vae/config.json` says, or the published Wan 2.1 defaults for files without a config.
//
// Only the Wan 2.1 layout is built: `is_residual` (Wan 2.2's residual up/down blocks) and `patch_size`
// (Wan 2.2's 2x2 patchify) are rejected with an error naming the config file and key.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vdf::vae {

struct WanVaeArch {
  int64_t base_dim = 96;          // channels of the first level (Wan 2.1: 96)
  int64_t decoder_base_dim = 96;  // diffusers `decoder_base_dim` (null = base_dim)
  int64_t z_dim = 16;             // latent channels (the encoder emits 2 * z_dim: mean and log-variance)
  std::vector<int64_t> dim_mult = {1, 2, 4, 4};
  int64_t num_res_blocks = 2;
  std::vector<double> attn_scales;                      // encoder attention after res blocks at these scales
  std::vector<bool> temperal_downsample = {false, true, true};  // per down level (upstream's spelling)
  int64_t in_channels = 3, out_channels = 3;
  // Per-channel latent normalization of the checkpoint: scaled = (raw - mean[c]) / std[c].
  std::vector<double> latents_mean, latents_std;

  // Compression: 2^(levels with temporal downsampling) in time, 2^(levels - 1) in space.
  int64_t temporal_factor() const;
  int64_t spatial_factor() const;
  // Throws vdf::Error naming `what` (a file or config key) and the offending value.
  void check(const std::string& what) const;
};

// The published Wan 2.1 numbers (diffusers' AutoencoderKLWan defaults = wan/modules/vae.py).
const std::vector<double>& wan21_latents_mean();
const std::vector<double>& wan21_latents_std();
// Wan 2.1 defaults: base_dim 96, z_dim 16, dim_mult [1,2,4,4], 2 res blocks, no attention, [F,T,T],
// and the published latent mean/std.
WanVaeArch wan21_arch();

// Reads a diffusers AutoencoderKLWan config.json. Missing keys take diffusers' defaults; unknown or
// unsupported settings (is_residual true, a patch_size) are errors naming the file and key.
WanVaeArch read_wan_vae_config(const std::filesystem::path& config_json);

}  // namespace vdf::vae
