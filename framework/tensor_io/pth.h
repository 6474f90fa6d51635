// Reader for PyTorch zip checkpoints (`torch.save` since 1.6: .pth/.pt/.bin). The archive holds
// `<prefix>/data.pkl` (a pickle) and `<prefix>/data/<key>` (raw little-endian storages). The pickle is
// run by the interpreter of pickle.h (the opcodes PyTorch emits; no Python objects are built beyond dicts,
// lists, tuples, scalars, strings and tensor views; unknown callables become opaque values that are
// skipped). LibTorch's torch::pickle_load fails on OrderedDict files (Debian's 1.13), hence this reader.
//
// Results: an ordered list of (key, tensor). A state dict (dict / OrderedDict) gives its keys in file
// order; nested dicts are flattened with '.' ("state_dict.conv.weight"); non-tensor values are skipped;
// a file holding a single tensor gives one entry with the empty key "".
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace vdf::tensor_io {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Throws vdf::Error naming the file (and the key / archive entry where known).
NamedTensors load_pth(const std::filesystem::path& path);
// The same from bytes in memory; `name` appears in error messages (tests, fuzzing).
NamedTensors load_pth_bytes(const std::string& bytes, const std::string& name);
// True when the file starts with a zip local-file signature ("PK\3\4").
bool is_zip_file(const std::filesystem::path& path);

}  // namespace vdf::tensor_io
