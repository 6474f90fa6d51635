#include "framework/models/clip/clip_loader.h"

#include "framework/core/error.h"
#include "framework/models/weights.h"

namespace vdf::clip {

void load_clip_weights(ClipModelImpl& model, const std::filesystem::path& path) {
  auto tensors = models::read_weights(path);
  models::TensorMap keep;
  for (auto& [k, v] : tensors) {
    if (k == "input_resolution" || k == "context_length" || k == "vocab_size") continue;
    const bool visual = k.rfind("visual.", 0) == 0;
    if (visual && !model.config.with_vision) continue;
    if (!visual && k != "logit_scale" && !model.config.with_text) continue;
    keep[k] = v;
  }
  models::load_strict(model, keep, "loading CLIP weights '" + path.string() + "'");
}

void fill_clip_recipe(ClipModelImpl& model) { models::fill_recipe(model); }

}  // namespace vdf::clip
