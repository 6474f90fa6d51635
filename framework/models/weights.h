// Weights for vdf models: reading checkpoint files, strict loading into LibTorch modules (every key
// present with the right shape, every tensor in the file used; errors name the key and both shapes),
// state dicts for saving, and the golden deterministic test-weight recipe applied to a module's own
// keys (roles classified from the owning module type, as ../shared/golden/README.md section 2).
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vdf::models {

using TensorMap = std::map<std::string, torch::Tensor>;

// .safetensors, or a PyTorch zip checkpoint (.pth/.pt, torch.save of a state dict). Throws naming path.
TensorMap read_weights(const std::filesystem::path& path);

// Module parameters and buffers by checkpoint key (LibTorch names = PyTorch names).
TensorMap state_dict(const torch::nn::Module& module);

// Strict load: copies (with dtype conversion) into the module's parameters/buffers. `context` goes
// in front of every error ("loading TAEF2 encoder 'x.pth'").
void load_strict(torch::nn::Module& module, const TensorMap& tensors, const std::string& context);

// ---- deterministic recipe (golden README section 2) --------------------------------------------
// role: weight | weight_he | bias | norm_weight | norm_bias | running_mean | running_var |
//       num_batches_tracked | other | logit_scale
torch::Tensor recipe_tensor(const std::string& key, const std::vector<int64_t>& shape, const std::string& role);
// Role of each parameter/buffer of `module`, from the type of the submodule that owns it.
std::map<std::string, std::string> recipe_roles(const torch::nn::Module& module);
// Fills every parameter/buffer of `module` with recipe_tensor(key, shape, role).
void fill_recipe(torch::nn::Module& module);
// Same with roles from a golden keys.txt ("key shape role" per line); the key set must match exactly.
void fill_recipe_from_keys(torch::nn::Module& module, const std::filesystem::path& keys_txt);

}  // namespace vdf::models
