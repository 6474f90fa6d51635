#include "train/model_task.h"

#include "framework/core/error.h"
#include "framework/tensor_io/weights.h"
#include "train/dit_task.h"
#include "train/wan_task.h"

namespace vdf::train {

std::shared_ptr<TrainTask> make_model_task(const config::DitConfig& model, const config::DiffusionConfig& diffusion,
                                           const std::vector<int64_t>& latent_shape, int64_t text_len) {
  switch (model.family) {
    case config::ModelFamily::wan:
      return std::make_shared<WanTask>(model, diffusion);
    case config::ModelFamily::dit: {
      auto task = std::make_shared<DitTask>(model, diffusion, latent_shape, text_len);
      if (!model.init_from.empty()) {  // a vdf checkpoint's model.safetensors / ema.safetensors
        tensor_io::LoadOptions opt;
        opt.source = model.init_from;
        opt.what = "model.init_from";
        tensor_io::load_weights(task->module(), tensor_io::load_weights_file(model.init_from), opt);
      }
      return task;
    }
  }
  fail("model.family: unknown family");
}

}  // namespace vdf::train
