// Weights files -> LibTorch modules, strictly. Every parameter and buffer of the module must be in the
// file with the same shape, and every tensor of the file must be used; problems are collected and
// reported together ("3 missing, 1 unexpected, 2 mis-shaped: ..."), naming each key and both shapes.
// dtype conversion is explicit: LoadOptions::convert_dtype (default true) converts file tensors to the
// module's dtype and logs it; false makes a dtype mismatch an error.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "framework/tensor_io/safetensors.h"

namespace vdf::tensor_io {

struct LoadOptions {
  bool convert_dtype = true;   // convert file tensors to the module's dtype (logged); false: error
  std::string source;          // names the weights in messages (e.g. the file path); optional
  std::string prefix;          // only file keys starting with this are used, with it stripped ("model.")
  size_t max_listed = 8;       // problems listed per kind in the error message
};

// A weights file by magic/extension: safetensors, or a PyTorch zip (.pth/.pt/.bin/.ckpt). Nested
// dicts of a .pth are flattened with '.'. Throws vdf::Error naming the path.
TensorMap load_weights_file(const std::filesystem::path& path);

// Copies `tensors` into the module's named_parameters + named_buffers (recursive names), strictly.
void load_state_dict_strict(torch::nn::Module& module, const TensorMap& tensors, const LoadOptions& options = {});

// The module's parameters and buffers (detached, sharing memory) under their state-dict names.
TensorMap state_dict(const torch::nn::Module& module);

}  // namespace vdf::tensor_io
