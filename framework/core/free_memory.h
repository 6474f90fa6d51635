// How much memory a run may use, from the system: free memory of a CUDA device (what cudaMemGetInfo
// reports, i.e. not yet reserved by anyone, this process's caching allocator included) and available RAM
// (MemAvailable of /proc/meminfo). Used by the pre-flight check of `vdf train` (train/preflight.h).
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace vdf {

// Free bytes of a CUDA device; 0 when this build has no CUDA or the device is not a CUDA device.
int64_t cuda_free_memory(const torch::Device& device);
// MemAvailable of /proc/meminfo in bytes; 0 when it cannot be read.
int64_t host_available_memory();

}  // namespace vdf
