// What this vdf binary was built with: LibTorch, CUDA, cuDNN and NCCL versions ("none" where the build
// has no CUDA). One source for `vdf --version`, run directories (version.json) and eval reports, so a
// result can always be traced to the libraries that produced it.
#pragma once
#include <string>

namespace vdf::build_info {

std::string libtorch();  // e.g. "2.11.0"
std::string cuda();      // CUDA runtime LibTorch was built with, e.g. "13.0"; "none" in a CPU build
std::string cudnn();     // e.g. "9.19.0"; "none" in a CPU build
std::string nccl();      // NCCL that LibTorch's ProcessGroupNCCL uses, e.g. "2.28.9"; "none" in a CPU build
bool cuda_build();       // built with VDF_CUDA
bool cuda_device();      // a CUDA device is visible now (false on machines without GPU or driver)

// The multi-line text of `vdf --version` (without the vdf/git line).
std::string summary();

}  // namespace vdf::build_info
