#include "eval/metrics/inception_score.h"

#include <cmath>
#include <random>

#include "framework/core/error.h"

namespace vdf::eval {

std::vector<int64_t> numpy_permutation(uint32_t seed, int64_t n) {
  std::mt19937 mt(seed);  // std::mt19937(seed) is MT19937 init_genrand(seed), as RandomState(int)
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i >= 1; --i) {
    // random_interval(i): smallest all-ones mask >= i, rejection sampling on 32-bit draws.
    uint64_t mask = static_cast<uint64_t>(i);
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t j;
    if (static_cast<uint64_t>(i) <= 0xffffffffULL) {
      while ((j = (static_cast<uint64_t>(mt()) & mask)) > static_cast<uint64_t>(i)) {
      }
    } else {
      while ((j = (((static_cast<uint64_t>(mt()) << 32) | mt()) & mask)) > static_cast<uint64_t>(i)) {
      }
    }
    std::swap(p[i], p[j]);
  }
  return p;
}

InceptionScoreResult inception_score(const torch::Tensor& logits, const InceptionScoreOptions& options) {
  VDF_CHECK(logits.dim() == 2, "Inception Score: logits must be [N, classes]");
  const int64_t n = logits.size(0);
  VDF_CHECK(options.splits >= 1 && n >= options.splits, "Inception Score: {} samples for {} splits", n, options.splits);
  auto l = logits.detach().to(torch::kCPU, torch::kFloat64);
  if (options.shuffle) {
    auto perm = numpy_permutation(options.shuffle_seed, n);
    l = l.index_select(0, torch::tensor(perm, torch::kInt64));
  }
  auto p = torch::softmax(l, 1);
  auto logp = torch::log_softmax(l, 1);
  InceptionScoreResult r;
  for (int64_t i = 0; i < options.splits; ++i) {
    const int64_t a = i * n / options.splits, b = (i + 1) * n / options.splits;
    auto part = p.slice(0, a, b);
    auto py = part.mean(0, true);
    auto kl = part * (logp.slice(0, a, b) - py.log());
    r.split_scores.push_back(std::exp(kl.sum(1).mean().item<double>()));
  }
  double m = 0;
  for (double s : r.split_scores) m += s;
  m /= r.split_scores.size();
  double v = 0;
  for (double s : r.split_scores) v += (s - m) * (s - m);
  r.mean = m;
  r.std = std::sqrt(v / r.split_scores.size());
  return r;
}

}  // namespace vdf::eval
