// The text condition handed to a denoiser, and classifier-free-guidance dropout of it.
#pragma once
#include <torch/torch.h>

namespace vdf::diffusion {

struct Conditioning {
  torch::Tensor text;       // [B, L, Dtxt] token embeddings
  torch::Tensor text_mask;  // [B, L] bool, true = real token
  torch::Tensor pooled;     // [B, Dp] (undefined when the model has no pooled input)

  int64_t batch() const { return text.size(0); }
  Conditioning to(const torch::Device& device) const;
};

// The "null" condition of classifier-free guidance for a batch shaped like `like`: zero embeddings and
// an all-false mask (the DiT's cross-attention then contributes exactly zero; see docs/dit.md).
Conditioning null_condition(const Conditioning& like);

// Concatenates two conditions along the batch (same L and widths required).
Conditioning concat(const Conditioning& a, const Conditioning& b);

// Replaces each sample's condition by `null_cond` (one row broadcast, or a full batch; default:
// null_condition(cond)) with probability p, drawing one uniform per sample from `gen` (always, also for
// p = 0 or 1, so the random stream does not depend on p). Returns the result; `dropped` receives the [B]
// bool mask of replaced samples if given. With `global_batch` > 0, `cond` is rows [offset, offset + B) of
// a global batch: uniforms are drawn for all global_batch rows and sliced (rank-count independent).
Conditioning cfg_dropout(const Conditioning& cond, double p, torch::Generator& gen,
                         const Conditioning* null_cond = nullptr, torch::Tensor* dropped = nullptr,
                         int64_t global_batch = 0, int64_t offset = 0);

}  // namespace vdf::diffusion
