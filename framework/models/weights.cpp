#include "framework/models/weights.h"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/state_dict.h"

namespace vdf::models {

namespace fs = std::filesystem;

namespace {
std::string shape_str(torch::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}
}  // namespace

TensorMap read_weights(const fs::path& path) {
  if (!fs::exists(path)) fail("weights file '{}' does not exist", path.string());
  return tensor_io::load_weights_file(path);
}

TensorMap state_dict(const torch::nn::Module& module) {
  TensorMap out;
  for (const auto& p : module.named_parameters(true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true)) out[b.key()] = b.value();
  return out;
}

void load_strict(torch::nn::Module& module, const TensorMap& tensors, const std::string& context) {
  torch::NoGradGuard no_grad;
  TensorMap own = state_dict(module);
  std::vector<std::string> missing, unexpected;
  for (const auto& [k, v] : own)
    if (!tensors.count(k)) missing.push_back(k);
  for (const auto& [k, v] : tensors)
    if (!own.count(k)) unexpected.push_back(k);
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + ("'" + v[i] + "'");
    if (v.size() > 8) s += fmt::format(" and {} more", v.size() - 8);
    return s;
  };
  if (!missing.empty()) fail("{}: {} missing tensor(s): {}", context, missing.size(), list(missing));
  if (!unexpected.empty()) fail("{}: {} unexpected tensor(s): {}", context, unexpected.size(), list(unexpected));
  for (auto& [k, dst] : own) {
    const torch::Tensor& src = tensors.at(k);
    if (src.sizes() != dst.sizes())
      fail("{}: tensor '{}' has shape {}, expected {}", context, k, shape_str(src.sizes()), shape_str(dst.sizes()));
    dst.copy_(src.to(dst.device(), dst.scalar_type()));
  }
}

// ---- recipe -------------------------------------------------------------------------------------
torch::Tensor recipe_tensor(const std::string& key, const std::vector<int64_t>& shape, const std::string& role) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (role == "num_batches_tracked") return torch::zeros(shape, torch::kInt64);
  if (role == "logit_scale") return torch::full(shape, static_cast<float>(std::log(100.0)), torch::kFloat32);
  const double fan_in = shape.empty() ? 1.0 : static_cast<double>(numel) / static_cast<double>(shape[0]);
  int kind;
  if (role == "weight") kind = 0;
  else if (role == "weight_he") kind = 1;
  else if (role == "bias") kind = 2;
  else if (role == "norm_weight") kind = 3;
  else if (role == "norm_bias") kind = 4;
  else if (role == "running_mean") kind = 5;
  else if (role == "running_var") kind = 6;
  else if (role == "other") kind = 7;
  else fail("recipe: unknown role '{}' for key '{}'", role, key);
  auto out = torch::empty(shape, torch::kFloat32);
  float* w = out.data_ptr<float>();
  uint64_t s = fnv1a64(key);
  const double a = std::sqrt(3.0 / fan_in), he = std::sqrt(6.0 / fan_in);
  for (int64_t j = 0; j < numel; ++j) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z = z ^ (z >> 31);
    const double u = static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    double v;
    switch (kind) {
      case 0: v = u * a; break;
      case 1: v = u * he; break;
      case 2: v = 0.01 * u; break;
      case 3: v = 1.0 + 0.1 * u; break;
      case 4: v = 0.1 * u; break;
      case 5: v = 0.1 * u; break;
      case 6: v = 1.0 + 0.5 * std::abs(u); break;
      default: v = 0.02 * u; break;
    }
    w[j] = static_cast<float>(v);
  }
  return out;
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
    for (const auto& b : m.named_buffers(false)) roles[full(b.key())] = b.key();  // BatchNorm stats
  }
  return roles;
}

void fill_recipe(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  auto roles = recipe_roles(module);
  for (auto& [k, t] : state_dict(module)) {
    auto r = recipe_tensor(k, t.sizes().vec(), roles.at(k));
    t.copy_(r.to(t.device(), t.scalar_type()));
  }
}

void fill_recipe_from_keys(torch::nn::Module& module, const fs::path& keys_txt) {
  torch::NoGradGuard no_grad;
  std::ifstream in(keys_txt);
  if (!in) fail("recipe: cannot open keys file '{}'", keys_txt.string());
  TensorMap tensors;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::string key, shape_s, role;
    if (!(ls >> key >> shape_s >> role)) fail("recipe: '{}' line {} is not 'key shape role'", keys_txt.string(), n);
    std::vector<int64_t> shape;
    if (shape_s != "scalar") {
      std::stringstream ss(shape_s);
      std::string d;
      while (std::getline(ss, d, 'x')) shape.push_back(std::stoll(d));
    }
    tensors[key] = recipe_tensor(key, shape, role);
  }
  load_strict(module, tensors, "recipe weights from '" + keys_txt.string() + "'");
}

}  // namespace vdf::models
