// Sequence parallelism as a model sees it: the ranks of a sequence group each hold an equal contiguous
// slice of every sample's tokens. A model that supports it (the DiT) cuts its token sequence to this
// rank's slice after the patch embedding, runs its blocks on the slice (token-wise layers need nothing;
// self-attention calls attention() here, which sees the whole sequence), and gathers the slices before
// unpatchifying. The implementation (Ulysses all-to-all over c10d) is framework/distributed/ulysses.h;
// the model knows nothing of ranks.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace vdf::models {

class SequenceParallel {
 public:
  virtual ~SequenceParallel() = default;
  virtual int degree() const = 0;  // ranks per sequence group
  virtual int index() const = 0;   // this rank's slice: tokens [index * L / degree, (index + 1) * L / degree)
  // Self-attention over the whole sequence from this rank's tokens: q, k, v [B, H, L/degree, hd] ->
  // output [B, H, L/degree, hd], equal to scaled_dot_product_attention over all L tokens, restricted to
  // this rank's queries. Differentiable.
  virtual torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) = 0;
  // Every rank's slice concatenated along `dim` (in rank order). Differentiable: the backward gives this
  // rank the sum over the group of the gradients of its slice (every rank computes the same loss).
  virtual torch::Tensor gather_tokens(const torch::Tensor& local, int64_t dim) = 0;
};

}  // namespace vdf::models
