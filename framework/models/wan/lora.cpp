#include "framework/models/wan/lora.h"

#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/tensor_io/weights.h"

namespace vdf::wan {

namespace fs = std::filesystem;

LoraFormat parse_lora_format(const std::string& name) {
  if (name == "peft" || name == "diffusers") return LoraFormat::peft;
  if (name == "comfyui") return LoraFormat::comfyui;
  fail("LoRA format '{}': expected peft (diffusers) or comfyui", name);
}

namespace {

// Module paths, original Wan name -> diffusers name. Block-level entries apply after "blocks.<i>.".
const std::vector<std::pair<std::string, std::string>>& lora_block_names() {
  static const std::vector<std::pair<std::string, std::string>> t = {
      {"self_attn.q", "attn1.to_q"},   {"self_attn.k", "attn1.to_k"},   {"self_attn.v", "attn1.to_v"},
      {"self_attn.o", "attn1.to_out.0"}, {"cross_attn.q", "attn2.to_q"}, {"cross_attn.k", "attn2.to_k"},
      {"cross_attn.v", "attn2.to_v"},  {"cross_attn.o", "attn2.to_out.0"}, {"ffn.0", "ffn.net.0.proj"},
      {"ffn.2", "ffn.net.2"},          {"norm3", "norm2"},
  };
  return t;
}
const std::vector<std::pair<std::string, std::string>>& lora_top_names() {
  static const std::vector<std::pair<std::string, std::string>> t = {
      {"time_embedding.0", "condition_embedder.time_embedder.linear_1"},
      {"time_embedding.2", "condition_embedder.time_embedder.linear_2"},
      {"time_projection.1", "condition_embedder.time_proj"},
      {"text_embedding.0", "condition_embedder.text_embedder.linear_1"},
      {"text_embedding.2", "condition_embedder.text_embedder.linear_2"},
      {"head.head", "proj_out"},
  };
  return t;
}

std::string lora_map_path(const std::string& path, bool to_original) {
  static const std::regex block(R"(^(blocks\.\d+\.)(.*)$)");
  std::smatch m;
  const bool in_block = std::regex_match(path, m, block);
  const std::string head = in_block ? m[1].str() : "";
  const std::string rest = in_block ? m[2].str() : path;
  for (const auto& [orig, diff] : in_block ? lora_block_names() : lora_top_names()) {
    const std::string& from = to_original ? diff : orig;
    const std::string& to = to_original ? orig : diff;
    if (rest == from) return head + to;
    if (rest.rfind(from + ".", 0) == 0) return head + to + rest.substr(from.size());
  }
  return path;
}

bool lora_ends_with(const std::string& s, const std::string& suffix) {
  return s == suffix || (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                         s[s.size() - suffix.size() - 1] == '.');
}

// Registers `module` at a dotted path below `root`, creating plain container modules on the way.
void lora_register_at(torch::nn::Module& root, const std::string& dotted, std::shared_ptr<torch::nn::Module> module) {
  torch::nn::Module* parent = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      parent->register_module(part, module);
      return;
    }
    auto children = parent->named_children();
    if (auto* found = children.find(part))
      parent = found->get();
    else
      parent = parent->register_module(part, std::make_shared<torch::nn::Module>()).get();
    start = dot + 1;
  }
}

}  // namespace

std::string wan_diffusers_to_original(const std::string& path) { return lora_map_path(path, true); }
std::string wan_original_to_diffusers(const std::string& path) { return lora_map_path(path, false); }

LoraSetImpl::LoraSetImpl(std::shared_ptr<torch::nn::Module> base, const config::LoraConfig& cfg)
    : base_(std::move(base)), rank_(cfg.rank), alpha_(cfg.alpha > 0 ? cfg.alpha : double(cfg.rank)), scale_(cfg.scale()) {
  cfg.validate(config::Check("model.lora"));
  VDF_CHECK(rank_ > 0, "LoRA: model.lora.rank must be > 0 to attach adapters");
  for (auto& p : base_->parameters()) p.set_requires_grad(false);
  std::set<std::string> matched_targets;
  for (const auto& item : base_->named_modules("", /*include_self=*/false)) {
    auto* lin = item.value()->as<LinearImpl>();
    if (!lin) continue;
    for (const auto& target : cfg.targets) {
      if (!lora_ends_with(item.key(), target)) continue;
      matched_targets.insert(target);
      const int64_t out = lin->weight.size(0), in = lin->weight.size(1);
      VDF_CHECK(rank_ <= std::min(in, out), "LoRA: model.lora.rank {} exceeds the {}x{} layer {}", rank_, out, in, item.key());
      lin->adapter = LoraAdapter(in, out, rank_, scale_);
      lin->adapter->to(lin->weight.device());
      lora_register_at(*this, item.key(), lin->adapter.ptr());
      names_.push_back(item.key());
      layers_.push_back(lin);
      break;
    }
  }
  for (const auto& target : cfg.targets)
    VDF_CHECK(matched_targets.count(target), "LoRA: model.lora.targets entry '{}' matches no linear layer of the model "
              "(names are diffusers' module names inside a block, e.g. attn1.to_q, attn2.to_out.0, ffn.net.0.proj)", target);
  int64_t n = 0;
  for (auto& p : parameters()) n += p.numel();
  VDF_INFO("LoRA: rank {}, alpha {} (scale {}), {} layers, {:.3f}M trainable parameters", rank_, alpha_, scale_,
           names_.size(), n / 1e6);
}

void LoraSetImpl::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  base_->to(device, dtype, non_blocking);
  torch::nn::Module::to(device, dtype, non_blocking);
}
void LoraSetImpl::to(torch::Dtype dtype, bool non_blocking) {
  base_->to(dtype, non_blocking);
  torch::nn::Module::to(dtype, non_blocking);
}
void LoraSetImpl::to(torch::Device device, bool non_blocking) {
  base_->to(device, non_blocking);
  torch::nn::Module::to(device, non_blocking);
}
void LoraSetImpl::train(bool on) {
  base_->train(on);
  torch::nn::Module::train(on);
}

void LoraSetImpl::merge() {
  for (auto* lin : layers_) lin->merge_adapter();
  layers_.clear();
  names_.clear();
}

tensor_io::TensorMap lora_file_tensors(const tensor_io::TensorMap& state, double alpha, LoraFormat format) {
  tensor_io::TensorMap out;
  for (const auto& [key, a] : state) {
    static const std::string kA = ".lora_A";
    if (key.size() <= kA.size() || key.compare(key.size() - kA.size(), kA.size(), kA) != 0) continue;
    const std::string path = key.substr(0, key.size() - kA.size());
    auto it = state.find(path + ".lora_B");
    VDF_CHECK(it != state.end(), "LoRA state: '{}' has no matching '{}.lora_B'", key, path);
    const auto A = a.detach().to(torch::kCPU).contiguous(), B = it->second.detach().to(torch::kCPU).contiguous();
    const double rank = static_cast<double>(A.size(0));
    const double a_eff = alpha > 0 ? alpha : rank;
    if (format == LoraFormat::peft) {
      out["transformer." + path + ".lora_A.weight"] = A;
      out["transformer." + path + ".lora_B.weight"] = (B * (a_eff / rank)).contiguous();
    } else {
      const std::string o = "diffusion_model." + wan_diffusers_to_original(path);
      out[o + ".lora_down.weight"] = A;
      out[o + ".lora_up.weight"] = B;
      out[o + ".alpha"] = torch::tensor(static_cast<float>(a_eff));
    }
  }
  VDF_CHECK(!out.empty(), "LoRA state has no '*.lora_A' tensors: not a LoRA checkpoint");
  return out;
}

tensor_io::TensorMap LoraSetImpl::export_tensors(LoraFormat format) const {
  return lora_file_tensors(tensor_io::state_dict_copy(*this), alpha_, format);
}

void LoraSetImpl::save(const fs::path& path, LoraFormat format) const {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  tensor_io::save_safetensors(path, export_tensors(format),
                              {{"format", "pt"}, {"vdf_lora_rank", std::to_string(rank_)},
                               {"vdf_lora_alpha", fmt::format("{}", alpha_)}});
}

void LoraSetImpl::load(const fs::path& path) {
  const tensor_io::TensorMap file = tensor_io::load_weights_file(path);
  // Both layouts -> (diffusers path) -> {A, B with this set's scale}.
  tensor_io::TensorMap state;
  for (const auto& [key, t] : file) {
    auto strip = [&](const std::string& k, const std::string& suffix, std::string* path_out) {
      if (k.size() <= suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
      *path_out = k.substr(0, k.size() - suffix.size());
      return true;
    };
    std::string p;
    if (strip(key, ".lora_A.weight", &p)) {
      if (p.rfind("transformer.", 0) == 0) p = p.substr(12);
      state[p + ".lora_A"] = t.to(torch::kFloat32);
      state[p + ".lora_B"] = file.at(key.substr(0, key.size() - 14) + ".lora_B.weight").to(torch::kFloat32) / scale_;
    } else if (strip(key, ".lora_down.weight", &p)) {
      const std::string base = p;
      if (p.rfind("diffusion_model.", 0) == 0) p = p.substr(16);
      p = wan_original_to_diffusers(p);
      const double rank = static_cast<double>(t.size(0));
      auto alpha_it = file.find(base + ".alpha");
      const double alpha = alpha_it != file.end() ? alpha_it->second.to(torch::kFloat64).item<double>() : rank;
      state[p + ".lora_A"] = t.to(torch::kFloat32);
      state[p + ".lora_B"] = file.at(base + ".lora_up.weight").to(torch::kFloat32) * (alpha / rank) / scale_;
    }
  }
  tensor_io::LoadOptions opt;
  opt.source = path.string();
  opt.what = "LoRA";
  tensor_io::load_weights(*this, state, opt);
}

}  // namespace vdf::wan
