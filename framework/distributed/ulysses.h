// Ulysses sequence parallelism (DeepSpeed-Ulysses) on c10d all-to-all: the self-attention of a sequence
// split over the ranks of a group exchanges heads for tokens — q, k, v [B, H, L/P, hd] become
// [B, H/P, L, hd] (every rank: all tokens, 1/P of the heads), attention runs locally, and the output goes
// back to [B, H, L/P, hd]. Two all-to-alls forward, two backward (the all-to-all is its own adjoint), per
// attention call: 4 x B x L x D / P elements sent per rank per layer.
// This round: one sequence group spanning the whole job (distributed.sequence_parallel = world size);
// data parallelism across several groups would need sub-groups of the process group.
#pragma once
#include <memory>

#include "framework/distributed/context.h"
#include "framework/models/sequence_parallel.h"

namespace vdf::distributed {

class UlyssesSequenceParallel : public models::SequenceParallel {
 public:
  explicit UlyssesSequenceParallel(std::shared_ptr<Context> ctx);
  int degree() const override { return ctx_->world_size(); }
  int index() const override { return ctx_->rank(); }
  torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) override;
  torch::Tensor gather_tokens(const torch::Tensor& local, int64_t dim) override;

 private:
  std::shared_ptr<Context> ctx_;
};

}  // namespace vdf::distributed
