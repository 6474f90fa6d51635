#include "framework/models/vae/wan_weights.h"

#include <fmt/format.h>

#include "framework/core/error.h"

namespace vdf::vae {

namespace fs = std::filesystem;

namespace {

// The original residual block: residual = Sequential(RMS_norm, SiLU, CausalConv3d, RMS_norm, SiLU,
// Dropout, CausalConv3d), shortcut = CausalConv3d (when widths differ).
void wan_add_resblock_renames(std::vector<tensor_io::KeyRename>& rules, const std::string& from,
                              const std::string& to) {
  rules.push_back({from + "residual.0.", to + "norm1."});
  rules.push_back({from + "residual.2.", to + "conv1."});
  rules.push_back({from + "residual.3.", to + "norm2."});
  rules.push_back({from + "residual.6.", to + "conv2."});
  rules.push_back({from + "shortcut.", to + "conv_shortcut."});
}

void wan_add_coder_renames(std::vector<tensor_io::KeyRename>& rules, const std::string& side) {
  rules.push_back({side + ".conv1.", side + ".conv_in."});
  wan_add_resblock_renames(rules, side + ".middle.0.", side + ".mid_block.resnets.0.");
  rules.push_back({side + ".middle.1.", side + ".mid_block.attentions.0."});
  wan_add_resblock_renames(rules, side + ".middle.2.", side + ".mid_block.resnets.1.");
  rules.push_back({side + ".head.0.", side + ".norm_out."});
  rules.push_back({side + ".head.2.", side + ".conv_out."});
}

}  // namespace

std::vector<tensor_io::KeyRename> wan_original_renames(WanAutoencoderImpl& model) {
  std::vector<tensor_io::KeyRename> rules;
  rules.push_back({"conv1.", "quant_conv."});
  rules.push_back({"conv2.", "post_quant_conv."});
  wan_add_coder_renames(rules, "encoder");
  wan_add_coder_renames(rules, "decoder");
  // encoder.downsamples is the same flat list as down_blocks: only residual blocks rename inside
  for (size_t k = 0; k < model.encoder->down_blocks->size(); ++k) {
    const std::string from = fmt::format("encoder.downsamples.{}.", k), to = fmt::format("encoder.down_blocks.{}.", k);
    if (model.encoder->down_blocks[k]->as<WanResidualBlockImpl>()) wan_add_resblock_renames(rules, from, to);
    else rules.push_back({from, to});  // attention (norm, to_qkv, proj) and resample (resample.1, time_conv)
  }
  // decoder.upsamples is flat: per level the residual blocks, then the upsampler
  size_t flat = 0;
  for (size_t i = 0; i < model.decoder->up_blocks->size(); ++i) {
    auto* block = model.decoder->up_blocks[i]->as<WanUpBlockImpl>();
    for (size_t j = 0; j < block->resnets->size(); ++j)
      wan_add_resblock_renames(rules, fmt::format("decoder.upsamples.{}.", flat++),
                               fmt::format("decoder.up_blocks.{}.resnets.{}.", i, j));
    if (block->upsamplers)
      rules.push_back({fmt::format("decoder.upsamples.{}.", flat++), fmt::format("decoder.up_blocks.{}.upsamplers.0.", i)});
  }
  return rules;
}

WanWeightsSource resolve_wan_weights(const fs::path& path) {
  VDF_CHECK(fs::exists(path), "Wan VAE weights '{}' do not exist (config key 'vae.wan.path')", path.string());
  if (!fs::is_directory(path)) return {path, {}};
  fs::path folder = path;
  if (!fs::exists(folder / "config.json")) {
    VDF_CHECK(fs::exists(path / "vae" / "config.json"),
              "Wan VAE folder '{}': neither a diffusers model folder (model_index.json + vae/config.json) nor a "
              "VAE folder (config.json + diffusion_pytorch_model.safetensors)",
              path.string());
    folder = path / "vae";
  }
  for (const char* name : {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors",
                           "diffusion_pytorch_model.bf16.safetensors", "diffusion_pytorch_model.bin"}) {
    if (fs::exists(folder / name)) return {folder / name, folder / "config.json"};
  }
  fail("Wan VAE folder '{}': no weights file (looked for diffusion_pytorch_model.safetensors, "
       "diffusion_pytorch_model.fp16.safetensors, diffusion_pytorch_model.bf16.safetensors, "
       "diffusion_pytorch_model.bin)",
       folder.string());
}

WanWeightsLayout detect_wan_layout(const tensor_io::TensorMap& tensors, const std::string& what) {
  if (tensors.count("encoder.conv_in.weight")) return WanWeightsLayout::diffusers;
  if (tensors.count("encoder.conv1.weight")) return WanWeightsLayout::original;
  fail("{}: not a Wan VAE state dict (neither 'encoder.conv_in.weight' (diffusers) nor 'encoder.conv1.weight' "
       "(original Wan2.1_VAE.pth) is present; {} tensors)",
       what, tensors.size());
}

}  // namespace vdf::vae
