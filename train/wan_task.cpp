#include "train/wan_task.h"

#include <fmt/format.h>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/wan/weights.h"
#include "train/dit_task.h"

namespace vdf::train {

WanTask::WanTask(const config::DitConfig& model, const config::DiffusionConfig& diffusion)
    : diffusion_(diffusion), wan_(model), objective_(diffusion) {
  if (!model.init_from.empty()) wan::load_wan_weights(*wan_, model.init_from);
  if (model.lora.rank > 0) {
    lora_ = wan::LoraSet(wan_.ptr(), model.lora);
    if (!model.lora.init_from.empty()) lora_->load(model.lora.init_from);
  }
}

torch::nn::Module& WanTask::module() { return lora_ ? static_cast<torch::nn::Module&>(*lora_) : *wan_; }

diffusion::Conditioning WanTask::condition(const data::LatentBatch& b) const {
  diffusion::Conditioning c;
  c.text = b.text;
  c.text_mask = b.text_mask;
  return c;
}

diffusion::ModelFn WanTask::model_fn() {
  return [this](const torch::Tensor& x, const torch::Tensor& t, const diffusion::Conditioning& c) {
    return wan_->denoise(x, t, c.text, c.text_mask);
  };
}

torch::Tensor WanTask::loss(const data::LatentBatch& b, torch::Generator& gen) {
  const int64_t tokens = tokens_per_sample(b.latents.sizes().slice(1).vec());
  return objective_.loss(model_fn(), b.latents, condition(b), gen, tokens, {b.global_batch, b.global_offset}).loss;
}

torch::Tensor WanTask::loss_at(const data::LatentBatch& b, double t, torch::Generator& gen) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor noise = torch::randn(b.latents.sizes(), gen, opts).to(b.latents.device());
  torch::Tensor tt = torch::full({b.latents.size(0)}, t, opts.device(b.latents.device()));
  return objective_.loss_at(model_fn(), b.latents, condition(b), tt, noise).loss;
}

int64_t WanTask::tokens_per_sample(const std::vector<int64_t>& s) const {
  return dit_tokens(s, wan_->config().patch);
}

std::string WanTask::describe() const {
  int64_t n = 0;
  for (const auto& p : wan_->parameters()) n += p.numel();
  std::string lora = "full training";
  if (lora_) {
    int64_t k = 0;
    for (const auto& p : lora_->parameters()) k += p.numel();
    lora = fmt::format("LoRA rank {} on {} layers, {:.3f} M trainable", lora_->rank(), lora_->layer_names().size(), k / 1e6);
  }
  return fmt::format("Wan 2.1 transformer {:.3f} M parameters ({}), objective {} ({})", n / 1e6, lora,
                     config::enum_name(diffusion_.objective), config::enum_name(diffusion_.prediction));
}

}  // namespace vdf::train
