// The one deterministic test-weight recipe of vdf (docs/tensor-files.md): every tensor of a state dict
// is regenerated from its key (FNV-1a 64 seed, splitmix64 stream, a per-role scale), so golden parity
// tests need no stored weights. The role of a key comes from a golden `keys.txt` (one "key shape role"
// line per state-dict entry, shape like 64x3x7x7 or "scalar"; authoritative when there is one), from
// the type of the module that owns it (recipe_roles), or from a caller's function.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"

namespace vdf::tensor_io {

enum class RecipeRole {
  weight,               // u * sqrt(3 / fan_in), fan_in = numel / shape[0]
  weight_he,            // u * sqrt(6 / fan_in)
  bias,                 // 0.01 u
  norm_weight,          // 1 + 0.1 u
  norm_bias,            // 0.1 u
  running_mean,         // 0.1 u
  running_var,          // 1 + 0.5 |u|
  num_batches_tracked,  // int64 0
  other,                // 0.02 u
  logit_scale,          // float32(ln 100)
};
RecipeRole recipe_role_from_string(const std::string& name);  // throws on unknown
const char* recipe_role_name(RecipeRole role);

// splitmix64: state += 0x9E3779B97F4A7C15, then the output mix.
uint64_t splitmix64_next(uint64_t& state);
// The first `n` raw outputs / u values in [-1, 1) of the stream seeded with fnv1a64(key).
std::vector<uint64_t> recipe_raw(const std::string& key, int64_t n);
torch::Tensor recipe_uniform(const std::string& key, int64_t numel);  // float64 [numel]

// One tensor of the recipe: float32 (int64 for num_batches_tracked), shape `shape` (empty = scalar).
torch::Tensor recipe_tensor(const std::string& key, const std::vector<int64_t>& shape, RecipeRole role);

struct RecipeKey {
  std::string key;
  std::vector<int64_t> shape;
  RecipeRole role = RecipeRole::other;
};
// Parses keys.txt; throws naming the file and line.
std::vector<RecipeKey> read_recipe_keys(const std::filesystem::path& keys_txt);
TensorMap recipe_state_dict(const std::vector<RecipeKey>& keys);
// Fills every parameter/buffer of `module` from the recipe of `keys_txt`, strictly (keys and shapes
// must match the module exactly; see load_weights).
void fill_with_recipe(torch::nn::Module& module, const std::filesystem::path& keys_txt);

// Role name of each parameter/buffer of `module`, from the type of the submodule that owns it: Conv* /
// Linear / MultiheadAttention weight or bias, *Norm norm_weight / norm_bias, logit_scale, BatchNorm
// buffers by name, anything else "other".
std::map<std::string, std::string> recipe_roles(const torch::nn::Module& module);
// Role name of a state-dict key (a name of recipe_role_from_string).
using RecipeRoleOf = std::function<std::string(const std::string& key)>;
// Fills every parameter/buffer of `module` with recipe_tensor(key, shape, role_of(key)), converted to
// the tensor's dtype and device; without role_of, the roles of recipe_roles(module).
void fill_recipe(torch::nn::Module& module, const RecipeRoleOf& role_of = {});

}  // namespace vdf::tensor_io
