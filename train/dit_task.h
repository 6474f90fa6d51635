// The TrainTask of vdf: a video DiT (section `model`) trained with a diffusion objective (section
// `diffusion`). Text condition = the dataset's token embeddings, mask and pooled embedding, with
// classifier-free-guidance dropout inside the objective.
#pragma once
#include <memory>

#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/model.h"
#include "framework/diffusion/objective.h"
#include "framework/models/dit/dit.h"
#include "train/task.h"

namespace vdf::train {

class DitTask : public TrainTask {
 public:
  // `latent_shape` [C, T, H, W] and `text_len` only feed the FLOP count logged at construction.
  DitTask(const config::DitConfig& model, const config::DiffusionConfig& diffusion,
          const std::vector<int64_t>& latent_shape = {}, int64_t text_len = 0);
  torch::nn::Module& module() override { return *dit_; }
  torch::Tensor loss(const data::LatentBatch& batch, torch::Generator& gen) override;
  torch::Tensor loss_at(const data::LatentBatch& batch, double t, torch::Generator& gen) override;
  int64_t tokens_per_sample(const std::vector<int64_t>& latent_shape) const override;
  std::string describe() const override;

  dit::Dit& dit() { return dit_; }
  diffusion::ModelFn model_fn();

 private:
  diffusion::Conditioning condition(const data::LatentBatch& batch) const;
  config::DiffusionConfig diffusion_;
  dit::Dit dit_{nullptr};
  diffusion::Objective objective_;
};

// The model's input widths (model.in_channels, text_dim, pooled_dim) must equal what the dataset holds:
// checks them on the first sample (naming the keys that disagree) and returns that sample's latent shape
// [C, T, H, W] and text length (for the FLOP count; empty / 0 for an empty dataset).
struct DatasetDims {
  std::vector<int64_t> latent_shape;
  int64_t text_len = 0;
};
DatasetDims check_model_fits_dataset(const config::DitConfig& model, const data::LatentDataset& dataset);

// Video tokens of one sample of latent shape [C, T, H, W] for patch [pt, ph, pw] (ceil per axis).
int64_t dit_tokens(const std::vector<int64_t>& latent_shape, const std::vector<int64_t>& patch);

}  // namespace vdf::train
