#include "framework/core/build_info.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <fmt/format.h>

#ifdef VDF_CUDA
#include <ATen/detail/CUDAHooksInterface.h>
namespace c10d {
// Declared in torch/csrc/distributed/c10d/NCCLUtils.hpp (exported by libtorch_cuda); declared here so
// this file does not pull in the NCCL and c10d headers.
TORCH_API std::string getNcclVersion();
}  // namespace c10d
#endif

namespace vdf::build_info {

std::string libtorch() { return TORCH_VERSION; }

bool cuda_build() {
#ifdef VDF_CUDA
  return true;
#else
  return false;
#endif
}

bool cuda_device() { return torch::cuda::is_available(); }

namespace {
// CUDA / cuDNN encode versions as integers: 13000 = 13.0, 91900 = 9.19.0.
std::string cuda_version_text(int64_t v) { return fmt::format("{}.{}", v / 1000, (v % 1000) / 10); }
std::string cudnn_version_text(int64_t v) { return fmt::format("{}.{}.{}", v / 10000, (v % 10000) / 100, v % 100); }
}  // namespace

std::string cuda() {
#ifdef VDF_CUDA
  const auto& hooks = at::detail::getCUDAHooks();
  return hooks.hasCUDART() ? cuda_version_text(hooks.versionCUDART()) : "none (libtorch_cuda not loaded)";
#else
  return "none";
#endif
}

std::string cudnn() {
#ifdef VDF_CUDA
  const auto& hooks = at::detail::getCUDAHooks();
  return hooks.hasCuDNN() ? cudnn_version_text(hooks.versionCuDNN()) : "none";
#else
  return "none";
#endif
}

std::string nccl() {
#ifdef VDF_CUDA
  return c10d::getNcclVersion();
#else
  return "none";
#endif
}

std::string summary() {
  std::string device = "none visible";
  if (cuda_device()) device = fmt::format("{} visible", torch::cuda::device_count());
  return fmt::format("LibTorch {}\nCUDA {}\ncuDNN {}\nNCCL {}\nCUDA devices: {}", libtorch(), cuda(), cudnn(), nccl(),
                     cuda_build() ? device : "n/a (CPU build)");
}

}  // namespace vdf::build_info
