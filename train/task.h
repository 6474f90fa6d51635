// What the trainer trains: a module plus the loss of a batch. The trainer knows nothing of the model
// family or the diffusion objective; train/dit_task.h builds the task of a video DiT + objective from
// the config, tests build tiny stand-ins.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace vdf::train {

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  // The trained module: its named parameters/buffers are the checkpoint keys.
  virtual torch::nn::Module& module() = 0;
  // Scalar training loss of `batch` (already on the training device). All randomness (timesteps, noise,
  // condition dropout) must come from `gen` — the trainer seeds it per step, which makes resume exact.
  virtual torch::Tensor loss(const data::LatentBatch& batch, torch::Generator& gen) = 0;
  // Scalar loss with every sample at timestep t in [0, 1] and no condition dropout (validation).
  virtual torch::Tensor loss_at(const data::LatentBatch& batch, double t, torch::Generator& gen) = 0;
  // Tokens the model processes for one sample of latent shape [C, T, H, W] (for tokens/s).
  virtual int64_t tokens_per_sample(const std::vector<int64_t>& latent_shape) const = 0;
  // One line for the log: model size etc.
  virtual std::string describe() const = 0;
};

}  // namespace vdf::train
