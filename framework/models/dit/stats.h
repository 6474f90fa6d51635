// Analytic parameter and FLOP counts of the DiT (forward pass, one multiply-add = 2 FLOPs, attention
// scores and weighted sums included; norms, activations, softmax and RoPE are not counted). Used at
// model construction (logged), by benchmarks (MFU) and by the trainer (tokens/s).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/schema/model.h"

namespace vdf::dit {

struct DitStats {
  int64_t params = 0;             // trainable parameters (equals the module's count; tested)
  int64_t block_params = 0;       // parameters of one transformer block
  int64_t batch = 1;
  int64_t tokens = 0;             // video tokens per sample (after padding time to a multiple of pt)
  int64_t text_len = 0;
  double flops_forward = 0;       // per forward of the whole batch
  double attention_flops = 0;     // the part of flops_forward in attention scores/values (self + cross)
  double block_flops = 0;         // the part of flops_forward in the transformer blocks
  double flops_train_step() const { return 3.0 * flops_forward; }  // forward + backward (2x)
  std::string describe() const;   // "DiT 675.1M params, 4096 tokens/sample, 1.23 TFLOP/forward ..."
};

// latent_shape: [C, T, H, W] (batch 1) or [B, C, T, H, W]. `cfg` need not be resolved.
DitStats dit_stats(const config::DitConfig& cfg, const std::vector<int64_t>& latent_shape, int64_t text_len);

}  // namespace vdf::dit
