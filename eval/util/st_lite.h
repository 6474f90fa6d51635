// Minimal safetensors reader/writer private to eval/ until framework/tensor_io/safetensors.cpp lands
// (same file format; switch callers to vdf::tensor_io and delete this file then).
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

namespace vdf::eval::st_lite {

using TensorMap = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

// Loads every tensor (copies) and the metadata; throws vdf::Error naming the file on bad input.
TensorMap load(const std::filesystem::path& path, Metadata* metadata = nullptr);
// Writes atomically; tensors are made contiguous CPU.
void save(const std::filesystem::path& path, const TensorMap& tensors, const Metadata& metadata = {});

}  // namespace vdf::eval::st_lite
