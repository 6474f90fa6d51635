// Loading published Wan 2.1 transformer weights into vdf's WanTransformer, strictly (every parameter
// present with its shape, no tensor left over; dtype converted on load and logged), through the one
// weights module (framework/tensor_io/weights.h). Accepted paths:
//   * a diffusers model folder (`transformer/` of a pipeline, or the pipeline folder itself): the sharded
//     `diffusion_pytorch_model.safetensors.index.json` + shards, or a single `diffusion_pytorch_model.safetensors`;
//     its config.json is checked against the `model` section (heads, layers, widths, patch)
//   * a `*.safetensors.index.json` file (shards next to it)
//   * one weights file (.safetensors / .pth) with diffusers names, or with the original Wan 2.1 names
//     (github.com/Wan-Video/Wan2.1 wan/modules/model.py: self_attn.q, ffn.0, head.head, modulation, ...),
//     optionally under a `model.diffusion_model.` / `diffusion_model.` prefix (ComfyUI checkpoints).
// The layout is detected from the key names. docs/models.md "Wan 2.1" lists the name table.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "framework/models/wan/transformer.h"
#include "framework/tensor_io/weights.h"

namespace vdf::wan {

enum class WanLayout { diffusers, original };

// The original -> diffusers name table for a model with `layers` blocks (prefix rules for load_weights).
std::vector<tensor_io::KeyRename> original_to_diffusers_names(int64_t layers);

// All tensors a path holds (folder / index / file as above), merged over shards. `*config_json` gets
// the folder's config.json text when there is one.
tensor_io::TensorMap read_wan_tensors(const std::filesystem::path& path, std::string* config_json = nullptr);

// Loads `path` into `model` strictly (see above). Returns the layout it found.
WanLayout load_wan_weights(WanTransformerImpl& model, const std::filesystem::path& path);

}  // namespace vdf::wan
