#include "train/preflight_measure.h"

#include "framework/core/peak_memory.h"
#include "train/dataset_factory.h"
#include "train/dit_task.h"
#include "train/trainer.h"

namespace vdf::train {

int64_t measure_training_peak(const TrainerConfig& trainer_cfg, const config::DitConfig& model,
                              const config::DiffusionConfig& diffusion, const torch::Device& device, int64_t steps) {
  auto dataset = make_dataset(trainer_cfg.data);
  const DatasetDims dims = check_model_fits_dataset(model, *dataset);
  PeakMemoryScope scope(device);  // from before the model exists: weights, optimizer, EMA and steps
  {
    torch::manual_seed(trainer_cfg.run.seed);
    auto task = std::make_shared<DitTask>(model, diffusion, dims.latent_shape, dims.text_len);
    TrainerOptions options;
    options.device = device;
    options.write_run_dir = false;
    Trainer trainer(trainer_cfg, task, dataset, DistHooks{}, options);
    for (int64_t i = 0; i < steps; ++i) trainer.train_step();
  }
  return scope.peak_bytes();
}

}  // namespace vdf::train
