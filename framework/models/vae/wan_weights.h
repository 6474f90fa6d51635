// Where Wan 2.1 VAE weights come from, and the names the original release uses.
//
// Layouts vdf loads (all strictly, through framework/tensor_io/weights.h):
//   * a diffusers model folder (model_index.json + vae/config.json + vae/diffusion_pytorch_model.*), or
//     its vae/ folder: the architecture from config.json, keys as diffusers names them;
//   * the original single file Wan2.1_VAE.pth (Wan-Video/Wan2.1 `WanVAE_` state dict: encoder.conv1,
//     encoder.downsamples.N.residual.K, decoder.upsamples.N (one flat list), conv1/conv2 for the
//     quant convs, head.0/head.2), renamed by wan_original_renames();
//   * a single .safetensors/.pth already in diffusers names.
// Files without a config.json take the architecture the caller gives (the Wan 2.1 defaults unless the
// config says otherwise).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "framework/models/vae/wan_arch.h"
#include "framework/models/vae/wan_modules.h"
#include "framework/tensor_io/weights.h"

namespace vdf::vae {

// The rename table from the original release's key prefixes to diffusers' (= vdf's module names),
// written from the model's own structure: one rule per block, so it holds for any num_res_blocks,
// dim_mult and attention placement.
std::vector<tensor_io::KeyRename> wan_original_renames(WanAutoencoderImpl& model);

enum class WanWeightsLayout { diffusers, original };

struct WanWeightsSource {
  std::filesystem::path weights;      // the tensor file
  std::filesystem::path config_json;  // vae/config.json, or empty for a single file
};

// Resolves a user path (model folder, vae folder, or a single file) to its weights file and config.
// Throws vdf::Error naming the path and what was looked for.
WanWeightsSource resolve_wan_weights(const std::filesystem::path& path);

// The layout of a loaded tensor map by its key names; throws naming `what` when it is neither.
WanWeightsLayout detect_wan_layout(const tensor_io::TensorMap& tensors, const std::string& what);

}  // namespace vdf::vae
