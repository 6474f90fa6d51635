// Weights of the evaluation networks: where they come from, whether they are the standard published
// files (so numbers are comparable with papers), and strict loading of state dicts.
//
// A weights spec is one of:
//   "recipe" or "recipe:<keys.txt>"  the golden deterministic test weights — NOT standard; every number
//                                    computed with them is labelled with a loud warning
//   <file>.safetensors                a converted checkpoint (`vdf convert`), names as in the public file
//   <file>.pt / .pth (TorchScript)    NVIDIA inception-2015-12-05.pt, StyleGAN-V i3d_torchscript.pt
#pragma once
#include <torch/torch.h>

#include "framework/tensor_io/recipe.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vdf::eval {

// Known standard files (METRICS.md §5). Matching is by full sha256, sha256 prefix (torch-hub file-name
// convention), or git blob id (sha1 of "blob <size>\0" + bytes).
struct StandardWeights {
  std::string network;   // "inception" | "i3d" | "clip-vit-b-32" | "clip-vit-l-14"
  std::string name;      // the public file name
  std::string sha256;    // full or prefix; empty when unknown
  std::string git_blob;  // sha1 git blob id; empty when unknown
};
const std::vector<StandardWeights>& standard_weights();

struct WeightsProvenance {
  std::string network;        // e.g. "inception-v3-fid (pytorch-fid FIDInception, 1008 classes)"
  std::string spec;           // what the user passed
  std::string format;         // recipe | safetensors | torchscript
  std::string file;           // absolute path ("" for recipe)
  std::string sha256;         // of the file; for recipe: sha256 of keys.txt
  std::string git_blob;       // git blob id of the file
  std::string source_sha256;  // safetensors metadata "source_sha256" (the file it was converted from)
  bool standard = false;
  std::string standard_name;  // matched public file name
  std::string warning;        // non-empty (LOUD) when not standard
  std::map<std::string, std::string> to_map() const;
};

// Hashes the file and matches it against the standard table for `network`.
WeightsProvenance describe_weights(const std::string& network, const std::string& spec,
                                   const std::filesystem::path& default_recipe_keys = {});

// True when `spec` names the recipe.
bool is_recipe_spec(const std::string& spec);
// keys.txt path of a recipe spec ("recipe:<path>" or the default).
std::filesystem::path recipe_keys_of(const std::string& spec, const std::filesystem::path& default_keys);

// Recipe roles for the eval networks, whose convs use the model-specific weight_he role (so the roles
// cannot be classified from the module type alone): a tensor_io::RecipeRoleOf for tensor_io::fill_recipe.
using tensor_io::RecipeRoleOf;
// Role of a BatchNorm tensor from its key suffix (".bn.weight" ...); "" when the key is not one.
std::string batchnorm_recipe_role(const std::string& key);
// Loads the weights a spec names into a native module: "recipe:<keys.txt>" / "recipe" with default keys
// (strict, tensor_io::fill_with_recipe), bare "recipe" without keys (tensor_io::fill_recipe with role_of),
// or a .safetensors / .pth state dict (strict, tensor_io::load_weights). TorchScript archives are not
// handled here.
void load_native_weights(torch::nn::Module& module, const WeightsProvenance& provenance,
                         const std::filesystem::path& default_recipe_keys, const RecipeRoleOf& role_of);

}  // namespace vdf::eval
