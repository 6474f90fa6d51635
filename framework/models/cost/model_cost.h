// What the pre-flight estimator (train/preflight.h) needs to know about a model family, without building
// the model: parameter counts, forward FLOPs, video tokens of a latent, and an activation model (what
// autograd keeps for backward, per video token and per sample, counted tensor by tensor in each family's
// implementation). A family implements ModelCost; the estimator combines it with the parallel strategy,
// checkpointing, precision and the worst bucket. Implemented for the vdf DiT (dit_cost.h, from the
// config) and analytically for Wan 2.1 (wan_cost.h, named shapes, usable before the Wan code exists).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vdf::models {

// Elements of saved tensors, by dtype. Under mixed precision (bf16 autocast) `compute` elements are bf16,
// `fp32` elements stay float32 (norm statistics and outputs, RMSNorm internals), and the `*_autocast`
// terms exist only under autocast (the bf16 copies autocast makes of fp32 inputs of matmuls, the fp32
// copies of bf16 inputs of fp32 ops); in plain fp32 those are the same tensors and cost nothing extra.
struct ElementCount {
  double compute = 0;
  double fp32 = 0;
  double compute_autocast = 0;
  double fp32_autocast = 0;

  double bytes(bool mixed, double compute_bytes) const {
    if (!mixed) return (compute + fp32) * compute_bytes;
    return (compute + compute_autocast) * compute_bytes + (fp32 + fp32_autocast) * 4.0;
  }
  ElementCount& operator+=(const ElementCount& o) {
    compute += o.compute, fp32 += o.fp32, compute_autocast += o.compute_autocast, fp32_autocast += o.fp32_autocast;
    return *this;
  }
};

// Activations of one training forward, split by where they live and how they scale.
struct ActivationModel {
  ElementCount block_per_token;     // kept by one plain (not checkpointed) block, per video token, block input included
  ElementCount block_per_sample;    // token-independent part per block and sample (text keys/values, modulation)
  ElementCount input_per_token;     // the block input: all a checkpointed block keeps
  ElementCount outside_per_token;   // embedding, final layer and loss, per video token
  ElementCount outside_per_sample;  // text embedding etc. per sample
  ElementCount backward_per_token;  // gradients of activations alive while one block runs backward
};

class ModelCost {
 public:
  virtual ~ModelCost() = default;
  virtual std::string name() const = 0;              // "DiT-XL/2 (hidden 1152, depth 28)", "Wan2.1-14B"
  virtual int64_t parameters() const = 0;            // trainable parameters
  virtual int64_t block_parameters() const = 0;      // parameters of one transformer block
  virtual int64_t depth() const = 0;                 // transformer blocks
  virtual int64_t heads() const = 0;                 // attention heads (sequence parallelism splits them)
  virtual int64_t hidden() const = 0;                // model width (Ulysses all-to-all volume)
  // Video tokens of one sample with latent shape [C, T, H, W].
  virtual int64_t tokens(const std::vector<int64_t>& latent_cthw) const = 0;
  // Forward FLOPs of one sample (multiply-add = 2), and the part of them spent in the blocks.
  virtual double forward_flops(const std::vector<int64_t>& latent_cthw, int64_t text_len) const = 0;
  virtual double block_forward_flops(const std::vector<int64_t>& latent_cthw, int64_t text_len) const = 0;
  virtual ActivationModel activations(int64_t text_len) const = 0;
};

}  // namespace vdf::models
