#include "framework/tensor_io/recipe.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::tensor_io {

namespace {
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;

inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline double to_unit(uint64_t z) { return static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0; }

const std::pair<const char*, RecipeRole> kRoles[] = {
    {"weight", RecipeRole::weight},
    {"weight_he", RecipeRole::weight_he},
    {"bias", RecipeRole::bias},
    {"norm_weight", RecipeRole::norm_weight},
    {"norm_bias", RecipeRole::norm_bias},
    {"running_mean", RecipeRole::running_mean},
    {"running_var", RecipeRole::running_var},
    {"num_batches_tracked", RecipeRole::num_batches_tracked},
    {"other", RecipeRole::other},
    {"logit_scale", RecipeRole::logit_scale},
};
}  // namespace

RecipeRole recipe_role_from_string(const std::string& name) {
  for (const auto& [n, r] : kRoles)
    if (name == n) return r;
  fail("unknown recipe role '{}'", name);
}

const char* recipe_role_name(RecipeRole role) {
  for (const auto& [n, r] : kRoles)
    if (r == role) return n;
  return "?";
}

uint64_t splitmix64_next(uint64_t& state) {
  state += kGamma;
  return mix(state);
}

std::vector<uint64_t> recipe_raw(const std::string& key, int64_t n) {
  uint64_t s = fnv1a64(key);
  std::vector<uint64_t> out(static_cast<size_t>(n));
  for (auto& v : out) v = splitmix64_next(s);
  return out;
}

torch::Tensor recipe_uniform(const std::string& key, int64_t numel) {
  auto out = torch::empty({numel}, torch::kFloat64);
  double* p = out.data_ptr<double>();
  const uint64_t seed = fnv1a64(key);
  // Output j uses state seed + (j+1)*gamma: independent per element, so the stream splits freely.
  at::parallel_for(0, numel, 1 << 16, [&](int64_t begin, int64_t end) {
    uint64_t s = seed + static_cast<uint64_t>(begin) * kGamma;
    for (int64_t j = begin; j < end; ++j) {
      s += kGamma;
      p[j] = to_unit(mix(s));
    }
  });
  return out;
}

torch::Tensor recipe_tensor(const std::string& key, const std::vector<int64_t>& shape, RecipeRole role) {
  int64_t numel = 1;
  for (auto d : shape) {
    VDF_CHECK(d >= 0, "recipe tensor '{}': negative dimension", key);
    numel *= d;
  }
  if (role == RecipeRole::num_batches_tracked) return torch::zeros(shape, torch::kInt64);
  if (role == RecipeRole::logit_scale) return torch::full(shape, static_cast<float>(std::log(100.0)), torch::kFloat32);
  auto u = recipe_uniform(key, numel);
  torch::Tensor v;
  switch (role) {
    case RecipeRole::weight:
    case RecipeRole::weight_he: {
      VDF_CHECK(!shape.empty() && shape[0] > 0, "recipe tensor '{}': role {} needs a non-empty shape", key,
                recipe_role_name(role));
      double fan_in = static_cast<double>(numel / shape[0]);
      v = u * std::sqrt((role == RecipeRole::weight ? 3.0 : 6.0) / fan_in);
      break;
    }
    case RecipeRole::bias: v = 0.01 * u; break;
    case RecipeRole::norm_weight: v = 1.0 + 0.1 * u; break;
    case RecipeRole::norm_bias: v = 0.1 * u; break;
    case RecipeRole::running_mean: v = 0.1 * u; break;
    case RecipeRole::running_var: v = 1.0 + 0.5 * u.abs(); break;
    case RecipeRole::other: v = 0.02 * u; break;
    default: fail("unreachable recipe role");
  }
  return v.to(torch::kFloat32).reshape(shape);
}

std::vector<RecipeKey> read_recipe_keys(const std::filesystem::path& keys_txt) {
  std::ifstream in(keys_txt);
  VDF_CHECK(in, "cannot open recipe keys '{}'", keys_txt.string());
  std::vector<RecipeKey> out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key, shape, role, extra;
    VDF_CHECK((ls >> key >> shape >> role) && !(ls >> extra), "{}:{}: expected 'key shape role', got '{}'",
              keys_txt.string(), lineno, line);
    RecipeKey k;
    k.key = key;
    if (shape != "scalar") {
      std::istringstream ss(shape);
      std::string part;
      while (std::getline(ss, part, 'x')) {
        VDF_CHECK(!part.empty() && part.find_first_not_of("0123456789") == std::string::npos && part.size() < 12,
                  "{}:{}: bad shape '{}'", keys_txt.string(), lineno, shape);
        k.shape.push_back(std::stoll(part));
      }
    }
    k.role = with_context(fmt::format("{}:{}", keys_txt.string(), lineno), [&] { return recipe_role_from_string(role); });
    out.push_back(std::move(k));
  }
  return out;
}

TensorMap recipe_state_dict(const std::vector<RecipeKey>& keys) {
  TensorMap out;
  for (const auto& k : keys) {
    VDF_CHECK(out.emplace(k.key, recipe_tensor(k.key, k.shape, k.role)).second, "recipe key '{}' appears twice", k.key);
  }
  return out;
}

void fill_with_recipe(torch::nn::Module& module, const std::filesystem::path& keys_txt) {
  LoadOptions options;
  options.source = "recipe of " + keys_txt.string();
  load_weights(module, recipe_state_dict(read_recipe_keys(keys_txt)), options);
}

std::map<std::string, std::string> recipe_roles(const torch::nn::Module& module) {
  std::map<std::string, std::string> roles;
  for (const auto& item : module.named_modules("", true)) {
    const std::string& prefix = item.key();
    const auto& m = *item.value();
    const std::string type = m.name();
    auto full = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
    for (const auto& p : m.named_parameters(false)) {
      std::string role = "other";
      const std::string& k = p.key();
      if (k == "logit_scale") role = "logit_scale";
      else if (type.find("Conv") != std::string::npos || type.find("Linear") != std::string::npos)
        role = k == "bias" ? "bias" : "weight";
      else if (type.find("MultiheadAttention") != std::string::npos || k == "in_proj_weight" || k == "in_proj_bias")
        role = k.find("bias") != std::string::npos ? "bias" : "weight";
      else if (type.find("Norm") != std::string::npos)
        role = k == "bias" ? "norm_bias" : "norm_weight";
      roles[full(k)] = role;
    }
    for (const auto& b : m.named_buffers(false)) roles[full(b.key())] = b.key();  // BatchNorm statistics
  }
  return roles;
}

void fill_recipe(torch::nn::Module& module, const RecipeRoleOf& role_of) {
  torch::NoGradGuard no_grad;
  std::map<std::string, std::string> roles;
  if (!role_of) roles = recipe_roles(module);
  for (auto& [key, t] : state_dict(module)) {
    const std::string role = role_of ? role_of(key) : roles.at(key);
    auto r = with_context(fmt::format("recipe tensor '{}'", key),
                          [&] { return recipe_tensor(key, t.sizes().vec(), recipe_role_from_string(role)); });
    t.copy_(r);
  }
}

}  // namespace vdf::tensor_io
