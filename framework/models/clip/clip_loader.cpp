#include "framework/models/clip/clip_loader.h"

#include "framework/core/error.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/weights.h"

namespace vdf::clip {

void load_clip_weights(ClipModelImpl& model, const std::filesystem::path& path) {
  auto tensors = tensor_io::load_weights_file(path);
  tensor_io::TensorMap keep;
  for (auto& [k, v] : tensors) {
    if (k == "input_resolution" || k == "context_length" || k == "vocab_size") continue;
    const bool visual = k.rfind("visual.", 0) == 0;
    if (visual && !model.config.with_vision) continue;
    if (!visual && k != "logit_scale" && !model.config.with_text) continue;
    keep[k] = v;
  }
  tensor_io::LoadOptions options;
  options.what = "CLIP weights";
  options.source = path.string();
  tensor_io::load_weights(model, keep, options);
}

void fill_clip_recipe(ClipModelImpl& model) { tensor_io::fill_recipe(model); }

}  // namespace vdf::clip
