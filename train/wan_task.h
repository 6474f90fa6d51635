// The TrainTask of the Wan 2.1 family (model.family = wan): the Wan transformer (framework/models/wan),
// optionally started from published weights (model.init_from) and optionally trained through LoRA
// adapters (model.lora.rank > 0: module() is then the adapter set only, so the optimizer, EMA, data
// parallel and checkpoints see only the LoRA parameters), with the same diffusion objective as the DiT.
#pragma once
#include <memory>

#include "framework/config/schema/diffusion.h"
#include "framework/config/schema/model.h"
#include "framework/diffusion/objective.h"
#include "framework/models/wan/lora.h"
#include "framework/models/wan/transformer.h"
#include "train/task.h"

namespace vdf::train {

class WanTask : public TrainTask {
 public:
  WanTask(const config::DitConfig& model, const config::DiffusionConfig& diffusion);
  torch::nn::Module& module() override;
  torch::Tensor loss(const data::LatentBatch& batch, torch::Generator& gen) override;
  torch::Tensor loss_at(const data::LatentBatch& batch, double t, torch::Generator& gen) override;
  int64_t tokens_per_sample(const std::vector<int64_t>& latent_shape) const override;
  std::string describe() const override;

  wan::WanTransformer& transformer() { return wan_; }
  wan::LoraSet& lora() { return lora_; }  // null without LoRA
  diffusion::ModelFn model_fn();

 private:
  diffusion::Conditioning condition(const data::LatentBatch& batch) const;
  config::DiffusionConfig diffusion_;
  wan::WanTransformer wan_{nullptr};
  wan::LoraSet lora_{nullptr};
  diffusion::Objective objective_;
};

}  // namespace vdf::train
