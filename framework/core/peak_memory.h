// Peak memory of a stretch of code, measured where LibTorch allocates it (used to check the pre-flight
// memory estimate of train/preflight.h against real steps, and by benchmarks):
//  * CPU: every allocation and free of LibTorch's CPU allocator on this thread (and the threads that
//    inherit its thread-local state: autograd, intra-op pools) while the scope lives, through c10's
//    memory-reporting hook (the one the PyTorch profiler's profile_memory uses). Counts tensor storage,
//    not malloc arenas, BLAS scratch or fragmentation — the bytes the estimator models.
//  * CUDA: the caching allocator's allocated-bytes statistics of the device (peak reset at start).
// Sizes are relative to the start of the scope: tensors that existed before are not counted.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>

namespace vdf {

class PeakMemoryScope {
 public:
  explicit PeakMemoryScope(torch::Device device = torch::kCPU);
  ~PeakMemoryScope();
  PeakMemoryScope(const PeakMemoryScope&) = delete;
  PeakMemoryScope& operator=(const PeakMemoryScope&) = delete;

  int64_t current_bytes() const;  // allocated now minus allocated at the start
  int64_t peak_bytes() const;     // highest current_bytes() seen so far
  void reset_peak();              // peak := current (e.g. after model construction)

 private:
  struct State;
  torch::Device device_;
  std::shared_ptr<State> state_;
  struct Guard;
  std::unique_ptr<Guard> guard_;
};

}  // namespace vdf
