#include "framework/models/device.h"

#include "framework/core/error.h"

namespace vdf::models {

torch::Device parse_device(const std::string& name) {
  if (name == "auto" || name.empty()) return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  try {
    torch::Device d(name);
    if (d.is_cuda() && !torch::cuda::is_available()) fail("device '{}' requested but CUDA is not available", name);
    return d;
  } catch (const c10::Error&) {
    fail("unknown device '{}': expected auto, cpu, cuda or cuda:N", name);
  }
}

torch::Dtype parse_dtype(const std::string& name) {
  if (name == "float32" || name == "fp32") return torch::kFloat32;
  if (name == "float16" || name == "fp16") return torch::kFloat16;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  fail("unknown dtype '{}': expected float32, float16 or bfloat16", name);
}

}  // namespace vdf::models
