// The golden deterministic test-weight recipe (../shared/golden/README.md §2), private to eval/ until
// framework/tensor_io/recipe.h lands. Used for parity tests and for "recipe" (non-standard) weights.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace vdf::eval::recipe {

// u in [-1, 1) of output j (0-based) of the splitmix64 stream seeded with `seed`.
double u_at(uint64_t seed, uint64_t j);
// n consecutive u values of the stream of fnv1a64(name).
std::vector<double> stream(const std::string& name, int64_t n);

struct KeySpec {
  std::string key;
  std::vector<int64_t> shape;  // empty = scalar
  std::string role;
};
std::vector<KeySpec> read_keys(const std::filesystem::path& keys_txt);
// The float32 (int64 for num_batches_tracked) recipe tensor of one key.
torch::Tensor make_tensor(const KeySpec& spec);
// Fills every parameter and buffer of `module` from keys.txt; strict: every key present with the same
// shape, and every module tensor listed. Throws vdf::Error naming the key.
void fill_module(torch::nn::Module& module, const std::filesystem::path& keys_txt);
// Same without a keys.txt: each tensor's role is given by `role_of(key)` (see the networks' recipe_role()).
void fill_module_by_role(torch::nn::Module& module, const std::function<std::string(const std::string&)>& role_of);
// Role of a BatchNorm tensor from its key suffix ("" when the key is not a BatchNorm tensor).
std::string batchnorm_role(const std::string& key);

}  // namespace vdf::eval::recipe
