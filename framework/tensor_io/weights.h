// The one weights module of vdf: weights files -> LibTorch modules, strictly, and back.
//
//   load_weights_file   a .safetensors or PyTorch zip (.pth/.pt/.bin/.ckpt) file -> TensorMap
//   load_weights        TensorMap -> a module's parameters and buffers, strictly (LoadOptions)
//   state_dict          a module -> TensorMap (sharing memory); state_dict_copy: detached CPU copies
//   save: save_safetensors(path, to_cpu(state_dict(module))) (safetensors.h)
//   the test-weight recipe: recipe.h
//
// Strict means: every parameter and buffer of the module must be in the file with the same shape, and
// every tensor of the file must be used; all problems are collected and reported together ("loading
// TAEHV 'x.safetensors' strictly: 1 missing, 1 unexpected, 1 mis-shaped, 0 wrong dtype; mis-shaped:
// 'conv.weight' has shape [4,3,5,5] in the file, the module expects [4,3,3,3]; ..."), naming each key and
// both shapes, and nothing is copied unless everything matches. dtype conversion is explicit:
// LoadOptions::convert_dtype (default true) converts file tensors to the module's dtype and logs it;
// false makes a dtype mismatch an error.
//
// This is what loaders of other checkpoint layouts (diffusers, original repositories, sharded files)
// build on: a layout is a LoadOptions — a prefix selecting the sub-dict, a name-conversion table from
// the file's names to the module's — over load_weights; see docs/tensor-files.md.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "framework/tensor_io/safetensors.h"

namespace vdf::tensor_io {

// One rule of a name-conversion table: a file key starting with `from` gets `to` in its place.
struct KeyRename {
  std::string from;
  std::string to;
};

struct LoadOptions {
  bool convert_dtype = true;   // convert file tensors to the module's dtype (logged); false: error
  std::string source;          // names the weights in messages (e.g. the file path); optional
  std::string prefix;          // only file keys starting with this are used, with it stripped ("model.")
  size_t max_listed = 8;       // problems listed per kind in the error message
  std::string what;            // what is loaded, in messages before the source ("TAEHV"); optional
  // Name conversion, after the prefix: the first rule whose `from` starts the key renames it; keys that
  // no rule matches keep their name. Two file keys converting to one name are an error.
  std::vector<KeyRename> rename;
};

// A weights file by magic/extension: safetensors, or a PyTorch zip (.pth/.pt/.bin/.ckpt), or a sharded
// checkpoint's index (a name ending in .index.json: load_weights_index). Nested dicts of a .pth are
// flattened with '.'. Throws vdf::Error naming the path.
TensorMap load_weights_file(const std::filesystem::path& path);

// A sharded checkpoint (Hugging Face's layout, e.g. model.safetensors.index.json): {"weight_map": {key:
// shard file name}} beside the shards. Returns every tensor of every shard, checked against the map: a
// missing shard, a key of the map absent from its shard, and a shard key the map does not list (or lists
// under another shard) are errors naming the index, the shard and the key.
TensorMap load_weights_index(const std::filesystem::path& index_path);
// The shard files an index names (sorted, unique, full paths), without reading them.
std::vector<std::filesystem::path> weights_index_shards(const std::filesystem::path& index_path);

// The tensors under the module's names: LoadOptions::prefix filter, then its rename table (what
// load_weights does first; for loaders that must look at the converted names before loading, e.g. to read
// an architecture off the shapes). Two file keys converting to one name: vdf::Error.
TensorMap convert_names(const TensorMap& tensors, const LoadOptions& options);

// Copies `tensors` into the module's named_parameters + named_buffers (recursive names), strictly, on
// the module's device and dtype. Throws vdf::Error listing every problem.
void load_weights(torch::nn::Module& module, const TensorMap& tensors, const LoadOptions& options = {});

// The module's parameters and buffers (detached, sharing memory) under their state-dict names.
TensorMap state_dict(const torch::nn::Module& module);
// The same as detached, contiguous CPU copies (independent of the module: checkpoints, EMA snapshots).
TensorMap state_dict_copy(const torch::nn::Module& module);
// Every tensor of a map detached, on CPU, contiguous (for saving; no copy when already so).
TensorMap to_cpu(const TensorMap& tensors);

}  // namespace vdf::tensor_io
