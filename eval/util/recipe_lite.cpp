#include "eval/util/recipe_lite.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::eval::recipe {

namespace {
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline double mix_to_u(uint64_t s) {
  uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z = z ^ (z >> 31);
  return static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

double scale(const std::string& role, double u, int64_t fan_in) {
  if (role == "weight") return u * std::sqrt(3.0 / static_cast<double>(fan_in));
  if (role == "weight_he") return u * std::sqrt(6.0 / static_cast<double>(fan_in));
  if (role == "bias") return 0.01 * u;
  if (role == "norm_weight") return 1.0 + 0.1 * u;
  if (role == "norm_bias") return 0.1 * u;
  if (role == "running_mean") return 0.1 * u;
  if (role == "running_var") return 1.0 + 0.5 * std::abs(u);
  if (role == "other") return 0.02 * u;
  fail("recipe: unknown role '{}'", role);
}
std::string shape_str(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}
}  // namespace

double u_at(uint64_t seed, uint64_t j) { return mix_to_u(seed + (j + 1) * kGolden); }

std::vector<double> stream(const std::string& name, int64_t n) {
  std::vector<double> out(n);
  uint64_t s = fnv1a64(name);
  for (int64_t j = 0; j < n; ++j) {
    s += kGolden;
    out[j] = mix_to_u(s);
  }
  return out;
}

std::vector<KeySpec> read_keys(const std::filesystem::path& keys_txt) {
  std::ifstream in(keys_txt);
  VDF_CHECK(in.good(), "cannot read recipe keys file '{}'", keys_txt.string());
  std::vector<KeySpec> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    KeySpec k;
    std::string shape;
    ls >> k.key >> shape >> k.role;
    VDF_CHECK(!k.role.empty(), "'{}': bad line '{}'", keys_txt.string(), line);
    if (shape != "scalar") {
      std::istringstream ss(shape);
      std::string dim;
      while (std::getline(ss, dim, 'x')) k.shape.push_back(std::stoll(dim));
    }
    out.push_back(std::move(k));
  }
  return out;
}

torch::Tensor make_tensor(const KeySpec& spec) {
  if (spec.role == "num_batches_tracked") return torch::zeros(spec.shape, torch::kInt64);
  if (spec.role == "logit_scale") return torch::full(spec.shape, static_cast<float>(std::log(100.0)), torch::kFloat32);
  auto t = torch::empty(spec.shape, torch::kFloat32);
  const int64_t n = t.numel();
  const int64_t fan_in = spec.shape.empty() ? 1 : n / spec.shape[0];
  float* p = t.data_ptr<float>();
  uint64_t s = fnv1a64(spec.key);
  for (int64_t j = 0; j < n; ++j) {
    s += kGolden;
    p[j] = static_cast<float>(scale(spec.role, mix_to_u(s), fan_in));
  }
  return t;
}

void fill_module(torch::nn::Module& module, const std::filesystem::path& keys_txt) {
  auto specs = read_keys(keys_txt);
  std::map<std::string, torch::Tensor> dest;
  for (auto& p : module.named_parameters(true)) dest[p.key()] = p.value();
  for (auto& b : module.named_buffers(true)) dest[b.key()] = b.value();
  torch::NoGradGuard ng;
  size_t used = 0;
  for (const auto& spec : specs) {
    auto it = dest.find(spec.key);
    VDF_CHECK(it != dest.end(), "recipe '{}': key '{}' is not in the module", keys_txt.string(), spec.key);
    auto value = make_tensor(spec);
    VDF_CHECK(it->second.sizes() == value.sizes(), "recipe '{}': key '{}' has shape {} in the module, {} in keys.txt",
              keys_txt.string(), spec.key, shape_str(it->second), shape_str(value));
    it->second.copy_(value);
    ++used;
  }
  VDF_CHECK(used == dest.size(), "recipe '{}': the module has {} tensors, keys.txt lists {}", keys_txt.string(),
            dest.size(), used);
}

}  // namespace vdf::eval::recipe

namespace vdf::eval::recipe {

std::string batchnorm_role(const std::string& key) {
  auto ends = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".bn.weight")) return "norm_weight";
  if (ends(".bn.bias")) return "norm_bias";
  if (ends(".bn.running_mean")) return "running_mean";
  if (ends(".bn.running_var")) return "running_var";
  if (ends(".bn.num_batches_tracked")) return "num_batches_tracked";
  return "";
}

void fill_module_by_role(torch::nn::Module& module, const std::function<std::string(const std::string&)>& role_of) {
  torch::NoGradGuard ng;
  auto fill = [&](const std::string& key, torch::Tensor& t) {
    KeySpec spec{key, t.sizes().vec(), role_of(key)};
    t.copy_(make_tensor(spec));
  };
  for (auto& p : module.named_parameters(true)) fill(p.key(), p.value());
  for (auto& b : module.named_buffers(true)) fill(b.key(), b.value());
}

}  // namespace vdf::eval::recipe
