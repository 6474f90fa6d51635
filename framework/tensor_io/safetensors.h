// safetensors files (https://github.com/huggingface/safetensors format): 8-byte little-endian header
// length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then data.
// Reading memory-maps the file and treats it as hostile: every offset, shape and size is checked.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/tensor_io/safetensors_header.h"

namespace vdf::tensor_io {

using TensorMap = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

// TensorInfo (name, dtype, shape, begin/end) is declared in safetensors_header.h.

// A memory-mapped safetensors file. Tensors returned by tensor() are copies (safe after close);
// tensor_view() aliases the mapping and is valid while this object lives.
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path);  // throws vdf::Error naming path
  // Parses from memory (used by the fuzzer and tests); `name` appears in error messages.
  static SafetensorsFile from_bytes(std::string bytes, const std::string& name);

  const std::vector<TensorInfo>& infos() const;  // in file order of data offsets
  std::vector<std::string> keys() const;          // sorted
  bool contains(const std::string& key) const;
  const TensorInfo& info(const std::string& key) const;  // throws naming the key
  const Metadata& metadata() const;
  torch::Tensor tensor(const std::string& key) const;
  torch::Tensor tensor_view(const std::string& key) const;
  TensorMap all() const;
  const std::string& path() const;

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

 private:
  struct Impl;
  explicit SafetensorsFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Convenience: all tensors (copies) of a file.
TensorMap load_safetensors(const std::filesystem::path& path, Metadata* metadata = nullptr);
// Writes atomically (temporary name, fsync, rename). Tensors are made contiguous on CPU; keys sorted.
void save_safetensors(const std::filesystem::path& path, const TensorMap& tensors, const Metadata& metadata = {});
// The serialized bytes (what save_safetensors writes).
std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata = {});

// dtype names <-> torch
torch::ScalarType dtype_from_safetensors(const std::string& name);  // throws on unknown
std::string dtype_to_safetensors(torch::ScalarType type);           // throws on unsupported

}  // namespace vdf::tensor_io
