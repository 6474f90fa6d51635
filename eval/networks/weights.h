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

#include <filesystem>
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

// Strictly copies `tensors` into the module's parameters and buffers: missing, unexpected and mis-shaped
// keys are errors naming the key and both shapes.
void load_state_dict_strict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                            const std::string& source);

// git blob id (sha1) of a file, as `git hash-object`.
std::string git_blob_sha1(const std::filesystem::path& path);

// True when `spec` names the recipe.
bool is_recipe_spec(const std::string& spec);
// keys.txt path of a recipe spec ("recipe:<path>" or the default).
std::filesystem::path recipe_keys_of(const std::string& spec, const std::filesystem::path& default_keys);

}  // namespace vdf::eval
