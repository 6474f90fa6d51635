#include "framework/core/free_memory.h"

#include <fstream>
#include <sstream>
#include <string>

#ifdef VDF_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace vdf {

int64_t cuda_free_memory(const torch::Device& device) {
#ifdef VDF_CUDA
  if (!device.is_cuda() || !torch::cuda::is_available()) return 0;
  const auto index = device.has_index() ? device.index() : c10::DeviceIndex(0);
  return static_cast<int64_t>(c10::cuda::CUDACachingAllocator::get()->getMemoryInfo(index).first);
#else
  (void)device;
  return 0;
#endif
}

int64_t host_available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    int64_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return 0;
}

}  // namespace vdf
