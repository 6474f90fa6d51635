#include "framework/core/peak_memory.h"

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <algorithm>
#include <atomic>

#ifdef VDF_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace vdf {

// Receives c10's reports of CPU allocations (alloc_size > 0) and frees (alloc_size < 0).
struct PeakMemoryScope::State : c10::MemoryReportingInfoBase {
  std::atomic<int64_t> current{0};
  std::atomic<int64_t> peak{0};
  int64_t cuda_start = 0;

  void reportMemoryUsage(void* /*ptr*/, int64_t alloc_size, size_t /*total_allocated*/, size_t /*total_reserved*/,
                         c10::Device device) override {
    if (device.type() != c10::DeviceType::CPU) return;
    const int64_t now = current.fetch_add(alloc_size) + alloc_size;
    int64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  bool memoryProfilingEnabled() const override { return true; }
};

struct PeakMemoryScope::Guard {
  explicit Guard(std::shared_ptr<State> s) : guard(c10::DebugInfoKind::PROFILER_STATE, std::move(s)) {}
  c10::DebugInfoGuard guard;
};

#ifdef VDF_CUDA
namespace {
int64_t peak_memory_cuda_allocated(c10::DeviceIndex d, bool peak) {
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d);
  const auto& s = stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)];
  return peak ? s.peak : s.current;
}
}  // namespace
#endif

PeakMemoryScope::PeakMemoryScope(torch::Device device) : device_(device), state_(std::make_shared<State>()) {
  if (device_.is_cuda()) {
#ifdef VDF_CUDA
    const auto d = device_.has_index() ? device_.index() : c10::DeviceIndex(0);
    c10::cuda::CUDACachingAllocator::resetPeakStats(d);
    state_->cuda_start = peak_memory_cuda_allocated(d, false);
#endif
    return;
  }
  guard_ = std::make_unique<Guard>(state_);
}

PeakMemoryScope::~PeakMemoryScope() = default;

int64_t PeakMemoryScope::current_bytes() const {
#ifdef VDF_CUDA
  if (device_.is_cuda())
    return peak_memory_cuda_allocated(device_.has_index() ? device_.index() : 0, false) - state_->cuda_start;
#endif
  return state_->current.load();
}

int64_t PeakMemoryScope::peak_bytes() const {
#ifdef VDF_CUDA
  if (device_.is_cuda())
    return peak_memory_cuda_allocated(device_.has_index() ? device_.index() : 0, true) - state_->cuda_start;
#endif
  return std::max<int64_t>(state_->peak.load(), 0);
}

void PeakMemoryScope::reset_peak() {
#ifdef VDF_CUDA
  if (device_.is_cuda()) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(device_.has_index() ? device_.index() : 0);
    return;
  }
#endif
  state_->peak.store(state_->current.load());
}

}  // namespace vdf
