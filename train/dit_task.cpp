#include "train/dit_task.h"

#include <fmt/format.h>

#include "framework/core/error.h"

namespace vdf::train {

int64_t dit_tokens(const std::vector<int64_t>& s, const std::vector<int64_t>& patch) {
  if (s.size() != 4 || patch.size() != 3) return 0;
  int64_t n = 1;
  for (int i = 0; i < 3; ++i) n *= (s[i + 1] + patch[i] - 1) / patch[i];
  return n;
}

DitTask::DitTask(const config::DitConfig& model, const config::DiffusionConfig& diffusion,
                 const std::vector<int64_t>& latent_shape, int64_t text_len)
    : diffusion_(diffusion), dit_(model, latent_shape, text_len), objective_(diffusion) {}

diffusion::Conditioning DitTask::condition(const data::LatentBatch& b) const {
  diffusion::Conditioning c;
  c.text = b.text;
  c.text_mask = b.text_mask;
  if (dit_->config().pooled_dim > 0) c.pooled = b.pooled;
  return c;
}

diffusion::ModelFn DitTask::model_fn() {
  return [this](const torch::Tensor& x, const torch::Tensor& t, const diffusion::Conditioning& c) {
    return dit_->forward(x, t, c.text, c.text_mask, c.pooled);
  };
}

torch::Tensor DitTask::loss(const data::LatentBatch& b, torch::Generator& gen) {
  const int64_t tokens = tokens_per_sample(b.latents.sizes().slice(1).vec());
  return objective_.loss(model_fn(), b.latents, condition(b), gen, tokens, {b.global_batch, b.global_offset}).loss;
}

torch::Tensor DitTask::loss_at(const data::LatentBatch& b, double t, torch::Generator& gen) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor noise = torch::randn(b.latents.sizes(), gen, opts).to(b.latents.device());
  torch::Tensor tt = torch::full({b.latents.size(0)}, t, opts.device(b.latents.device()));
  return objective_.loss_at(model_fn(), b.latents, condition(b), tt, noise).loss;
}

int64_t DitTask::tokens_per_sample(const std::vector<int64_t>& s) const {
  return dit_tokens(s, dit_->config().patch);
}

DatasetDims check_model_fits_dataset(const config::DitConfig& m, const data::LatentDataset& dataset) {
  DatasetDims dims;
  if (dataset.size() == 0) return dims;
  data::LatentSample s = dataset.get(0);
  dims.latent_shape = s.latents.sizes().vec();
  dims.text_len = s.text.size(0);
  VDF_CHECK(s.latents.size(0) == m.in_channels, "model.in_channels={} but the dataset ({}) has {}-channel latents",
            m.in_channels, dataset.describe(), s.latents.size(0));
  VDF_CHECK(s.text.size(1) == m.text_dim, "model.text_dim={} but the dataset ({}) has {}-wide text embeddings",
            m.text_dim, dataset.describe(), s.text.size(1));
  VDF_CHECK(m.family != config::ModelFamily::dit || m.pooled_dim == 0 || s.pooled.size(0) == m.pooled_dim,
            "model.pooled_dim={} but the dataset ({}) has {}-wide pooled embeddings", m.pooled_dim,
            dataset.describe(), s.pooled.size(0));
  return dims;
}

std::string DitTask::describe() const {
  int64_t n = 0;
  for (const auto& p : dit_->parameters()) n += p.numel();
  return fmt::format("DiT {:.3f} M parameters, objective {} ({})", n / 1e6, config::enum_name(diffusion_.objective),
                     config::enum_name(diffusion_.prediction));
}

}  // namespace vdf::train
