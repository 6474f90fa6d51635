// Device and dtype names used by model configs.
#pragma once
#include <torch/torch.h>

#include <string>

namespace vdf::models {

// "auto" -> cuda if available else cpu; "cpu", "cuda", "cuda:N" (fails when CUDA is not available).
torch::Device parse_device(const std::string& name);
// float32 | float16 | bfloat16 (also fp32/fp16/bf16)
torch::Dtype parse_dtype(const std::string& name);

}  // namespace vdf::models
