// Inception Score (openai/improved-gan): logits = pool3 · Wᵀ without bias, softmax over 1008 classes,
// 10 splits of consecutive samples part_i = p[i·N/10 : (i+1)·N/10], score_i = exp(mean_x KL(p(y|x) ‖ p(y))),
// result = mean and population std (np.std) of the split scores. Computed in float64.
// Optional torch-fidelity convention: samples permuted by numpy RandomState(2020).permutation(N) first.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace vdf::eval {

struct InceptionScoreOptions {
  int64_t splits = 10;
  bool shuffle = false;        // torch-fidelity: RandomState(shuffle_seed).permutation(N)
  uint32_t shuffle_seed = 2020;
};

struct InceptionScoreResult {
  double mean = 0, std = 0;
  std::vector<double> split_scores;
};

// logits: [N, classes] (unbiased logits). Throws when N < splits.
InceptionScoreResult inception_score(const torch::Tensor& logits, const InceptionScoreOptions& options = {});

// numpy.random.RandomState(seed).permutation(n) (legacy MT19937 + masked rejection sampling).
std::vector<int64_t> numpy_permutation(uint32_t seed, int64_t n);

}  // namespace vdf::eval
