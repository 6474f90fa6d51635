// Analytic ModelCost of the Wan 2.1 text-to-video transformers (Wan-AI/Wan2.1-T2V-1.3B / -14B, diffusers
// WanTransformer3DModel layout), by name, so the planning numbers of docs/distributed.md exist before (and
// independently of) the Wan model code: patch 1x2x2, 16 latent channels in and out, UMT5 text width 4096,
// frequency dim 256, q/k RMSNorm across heads, RoPE, affine cross-attention norm, GELU-tanh FFN.
//   wan2.1-1.3b: dim 1536, 30 layers, 12 heads, ffn 8960   (1,418,996,800 parameters)
//   wan2.1-14b:  dim 5120, 40 layers, 40 heads, ffn 13824  (14,288,491,584 parameters)
// Parameter counts are tested against diffusers' module (tests/train/test_preflight.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "framework/models/cost/model_cost.h"

namespace vdf::models {

struct WanShape {
  std::string name;
  int64_t dim = 0, layers = 0, heads = 0, ffn = 0;
  int64_t in_channels = 16, out_channels = 16, text_dim = 4096, freq_dim = 256;
  std::vector<int64_t> patch{1, 2, 2};
};

// The named shapes above; throws vdf::Error naming the known ones for another name.
WanShape wan_shape(const std::string& name);
std::vector<std::string> wan_shape_names();
std::unique_ptr<ModelCost> wan_cost(const WanShape& shape);

}  // namespace vdf::models
