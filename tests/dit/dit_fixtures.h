// DiT test fixtures shared by tests/dit and tests/gpu: the tiny config, random non-zero weights, and a
// parameter copy between two instances.
#pragma once
#include <torch/torch.h>

#include "framework/config/schema/model.h"

namespace vdf::testing {

inline config::DitConfig tiny_dit_config() {
  config::DitConfig c;
  c.preset = "tiny";  // hidden 64, depth 2, heads 4 -> head dim 16, rope axes [4, 6, 6]
  c.in_channels = 4;
  c.text_dim = 32;
  c.pooled_dim = 16;
  c.max_text_len = 8;
  return c;
}

// Random, non-zero weights everywhere (a fresh model is zero-initialized in its output paths).
inline void randomize_parameters(torch::nn::Module& m, uint64_t seed) {
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(seed);
  for (auto& p : m.parameters()) p.copy_(torch::randn(p.sizes(), gen) * 0.2);
}

inline void copy_parameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard ng;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src[p.key()]);
}

}  // namespace vdf::testing
