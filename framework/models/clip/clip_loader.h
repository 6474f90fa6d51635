// Weights for ClipModel: OpenAI CLIP state dicts (safetensors or torch.save'd .pth; the released .pt
// files are TorchScript archives: convert them to safetensors first), and the golden recipe.
#pragma once
#include <filesystem>

#include "framework/models/clip/clip_model.h"

namespace vdf::clip {

// Strict load. Keys of a tower the model does not have (visual.* for a text-only model, text keys for
// an image-only model) and the metadata entries input_resolution/context_length/vocab_size are ignored;
// everything else must match exactly.
void load_clip_weights(ClipModelImpl& model, const std::filesystem::path& path);
// The golden deterministic recipe on the model's own keys (roles as ../shared/golden/clip/keys.txt).
void fill_clip_recipe(ClipModelImpl& model);

}  // namespace vdf::clip
