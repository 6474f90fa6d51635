#include "eval/networks/weights.h"

#include <fstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"

namespace vdf::eval {

namespace fs = std::filesystem;

const std::vector<StandardWeights>& standard_weights() {
  static const std::vector<StandardWeights> table = {
      {"inception", "pt_inception-2015-12-05-6726825d.pth", "6726825d", ""},
      {"i3d", "i3d_pretrained_400.pt", "", "a867b87ac3a9097d200598b1d48a1b890d8ec744"},
      {"i3d", "i3d_torchscript.pt", "", "93daef59c7ae0e9e8f76225521407e60cbafa6aa"},
      {"clip-vit-b-32", "ViT-B-32.pt", "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af", ""},
      {"clip-vit-l-14", "ViT-L-14.pt", "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836", ""},
  };
  return table;
}

std::map<std::string, std::string> WeightsProvenance::to_map() const {
  std::map<std::string, std::string> m{{"network", network},   {"weights_spec", spec},
                                       {"weights_format", format}, {"weights_file", file},
                                       {"weights_sha256", sha256}, {"weights_standard", standard ? "true" : "false"}};
  if (!git_blob.empty()) m["weights_git_blob"] = git_blob;
  if (!source_sha256.empty()) m["weights_source_sha256"] = source_sha256;
  if (!standard_name.empty()) m["weights_standard_name"] = standard_name;
  if (!warning.empty()) m["weights_warning"] = warning;
  return m;
}

bool is_recipe_spec(const std::string& spec) { return spec == "recipe" || spec.rfind("recipe:", 0) == 0; }

fs::path recipe_keys_of(const std::string& spec, const fs::path& default_keys) {
  if (spec.rfind("recipe:", 0) == 0) return spec.substr(7);
  return default_keys;
}

WeightsProvenance describe_weights(const std::string& network, const std::string& spec, const fs::path& default_keys) {
  WeightsProvenance p;
  p.network = network;
  p.spec = spec;
  if (is_recipe_spec(spec)) {
    p.format = "recipe";
    const fs::path keys = recipe_keys_of(spec, default_keys);
    p.file = keys.empty() ? "" : fs::absolute(keys).string();
    p.sha256 = !keys.empty() && fs::exists(keys) ? "recipe-keys:" + sha256_file(keys) : "recipe-by-role";
    p.warning = "NON-STANDARD WEIGHTS: deterministic test recipe (golden README §2), not the published " + network +
                " weights. These numbers are NOT comparable with any published result.";
    return p;
  }
  VDF_CHECK(fs::exists(spec), "{} weights file '{}' does not exist", network, spec);
  p.file = fs::absolute(spec).string();
  p.format = fs::path(spec).extension() == ".safetensors" ? "safetensors" : "torchscript";
  p.sha256 = sha256_file(spec);
  p.git_blob = git_blob_sha1(spec);
  if (p.format == "safetensors") {
    const auto md = tensor_io::SafetensorsFile::open(spec).metadata();  // memory-mapped: the header only
    for (const char* key : {"source_sha256", "sha256_source", "converted_from_sha256"})
      if (md.count(key)) p.source_sha256 = md.at(key);
  }
  for (const auto& s : standard_weights()) {
    if (s.network != network) continue;
    auto matches = [&](const std::string& h) {
      return !h.empty() && ((!s.sha256.empty() && h.rfind(s.sha256, 0) == 0));
    };
    if (matches(p.sha256) || (!s.git_blob.empty() && p.git_blob == s.git_blob)) {
      p.standard = true;
      p.standard_name = s.name;
    } else if (matches(p.source_sha256)) {
      p.standard = true;
      p.standard_name = s.name + " (converted; source sha256 from the file's metadata)";
    }
  }
  if (!p.standard)
    p.warning = "NON-STANDARD WEIGHTS: '" + spec + "' (sha256 " + p.sha256 + ") does not match any published " +
                network + " weights file known to vdf; numbers are not comparable with published results.";
  return p;
}

std::string batchnorm_recipe_role(const std::string& key) {
  auto ends = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const char* role : {"running_mean", "running_var", "num_batches_tracked"})
    if (ends(std::string(".bn.") + role)) return role;
  if (ends(".bn.weight")) return "norm_weight";
  if (ends(".bn.bias")) return "norm_bias";
  return "";
}

void load_native_weights(torch::nn::Module& module, const WeightsProvenance& provenance,
                         const fs::path& default_recipe_keys, const RecipeRoleOf& role_of) {
  if (provenance.format == "recipe") {
    const auto keys = recipe_keys_of(provenance.spec, default_recipe_keys);
    if (keys.empty())
      tensor_io::fill_recipe(module, role_of);
    else
      tensor_io::fill_with_recipe(module, keys);
    return;
  }
  tensor_io::LoadOptions options;
  options.source = provenance.spec;
  tensor_io::load_weights(module, tensor_io::load_weights_file(provenance.spec), options);
}

}  // namespace vdf::eval
