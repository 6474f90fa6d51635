// The pickle interpreter behind the PyTorch zip reader (pth.h), independent of LibTorch so that its
// fuzz target (tools/fuzz/pickle.cpp) compiles it alone. It runs the opcodes PyTorch emits (see
// docs/tensor-files.md) and builds no Python objects beyond dicts, lists, tuples, scalars, strings and
// tensor references; unknown callables become opaque values that are skipped. The pickle is hostile:
// stack, memo, nesting and every tensor view are checked.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vdf::tensor_io {

// A tensor of the pickle: a strided view of a storage (archive entry `<prefix>/data/<storage>`). Checked:
// non-negative sizes/strides/offset, rank <= 16, every element index < storage_numel.
struct PickledTensor {
  std::string storage;         // storage key
  std::string dtype;           // element type as a safetensors dtype name: "F32", "F16", "BF16", "I64", ...
  size_t itemsize = 0;         // bytes per element
  int64_t storage_numel = 0;   // elements the storage claims
  int64_t offset = 0;          // storage offset (elements)
  std::vector<int64_t> sizes, strides;
};

// Called when a tensor first uses a storage (key, dtype, itemsize, claimed elements), e.g. to check it
// against its archive entry; it throws vdf::Error to reject the file.
using StorageCheck = std::function<void(const std::string& key, const std::string& dtype, size_t itemsize,
                                        int64_t numel)>;

// Runs the pickle `data` and returns its tensors in file order: a dict (dict / OrderedDict) gives its
// keys, nested dicts are flattened with '.', non-tensor values are skipped, a single tensor gives one
// entry with the empty key. A root that is neither a tensor nor a dict is an error. Errors of the
// interpreter are prefixed "<pickle_name>: pickle opcode 0xNN at byte N: ". Throws vdf::Error.
std::vector<std::pair<std::string, PickledTensor>> read_tensor_pickle(std::string_view data,
                                                                      const std::string& pickle_name,
                                                                      const StorageCheck& check);

}  // namespace vdf::tensor_io
