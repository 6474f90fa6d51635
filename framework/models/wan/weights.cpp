#include "framework/models/wan/weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>
#include <set>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"

namespace vdf::wan {

namespace fs = std::filesystem;

std::vector<tensor_io::KeyRename> original_to_diffusers_names(int64_t layers) {
  std::vector<tensor_io::KeyRename> t = {
      {"time_embedding.0.", "condition_embedder.time_embedder.linear_1."},
      {"time_embedding.2.", "condition_embedder.time_embedder.linear_2."},
      {"time_projection.1.", "condition_embedder.time_proj."},
      {"text_embedding.0.", "condition_embedder.text_embedder.linear_1."},
      {"text_embedding.2.", "condition_embedder.text_embedder.linear_2."},
      {"head.head.", "proj_out."},
      {"head.modulation", "scale_shift_table"},
  };
  // Per block. The original applies norm1, then norm3 (affine, before the cross-attention), then norm2
  // (before the FFN); diffusers numbers them in order of use, so norm3 becomes norm2 (norm2 has no
  // parameters and needs no rule).
  const std::pair<const char*, const char*> block_rules[] = {
      {"self_attn.q.", "attn1.to_q."},         {"self_attn.k.", "attn1.to_k."},
      {"self_attn.v.", "attn1.to_v."},         {"self_attn.o.", "attn1.to_out.0."},
      {"self_attn.norm_q.", "attn1.norm_q."},  {"self_attn.norm_k.", "attn1.norm_k."},
      {"cross_attn.q.", "attn2.to_q."},        {"cross_attn.k.", "attn2.to_k."},
      {"cross_attn.v.", "attn2.to_v."},        {"cross_attn.o.", "attn2.to_out.0."},
      {"cross_attn.norm_q.", "attn2.norm_q."}, {"cross_attn.norm_k.", "attn2.norm_k."},
      {"norm3.", "norm2."},                    {"ffn.0.", "ffn.net.0.proj."},
      {"ffn.2.", "ffn.net.2."},                {"modulation", "scale_shift_table"},
  };
  for (int64_t i = 0; i < layers; ++i)
    for (const auto& [from, to] : block_rules)
      t.push_back({fmt::format("blocks.{}.{}", i, from), fmt::format("blocks.{}.{}", i, to)});
  return t;
}

namespace {

tensor_io::TensorMap wan_read_index(const fs::path& index_path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(index_path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not a safetensors index (JSON: {})", index_path.string(), e.what());
  }
  VDF_CHECK(j.contains("weight_map") && j["weight_map"].is_object(), "{}: no \"weight_map\" object",
            index_path.string());
  std::set<std::string> shards;
  for (const auto& [key, file] : j["weight_map"].items()) {
    VDF_CHECK(file.is_string(), "{}: weight_map['{}'] is not a file name", index_path.string(), key);
    shards.insert(file.get<std::string>());
  }
  tensor_io::TensorMap all;
  for (const auto& shard : shards) {
    const fs::path p = index_path.parent_path() / shard;
    VDF_CHECK(fs::exists(p), "{}: shard '{}' is missing ({})", index_path.string(), shard, p.string());
    for (auto& [k, v] : tensor_io::load_weights_file(p)) {
      VDF_CHECK(all.emplace(k, v).second, "{}: tensor '{}' is in more than one shard", index_path.string(), k);
      VDF_CHECK(j["weight_map"].value(k, std::string()) == shard, "{}: tensor '{}' of shard '{}' is not mapped to it",
                index_path.string(), k, shard);
    }
  }
  VDF_CHECK(all.size() == j["weight_map"].size(), "{}: the index lists {} tensors, its shards hold {}",
            index_path.string(), j["weight_map"].size(), all.size());
  return all;
}

void wan_check_config_json(const std::string& text, const config::DitConfig& c, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: config.json is not JSON ({})", where, e.what());
  }
  const auto& w = c.wan;
  auto expect = [&](const char* key, int64_t ours, const char* our_key) {
    if (!j.contains(key) || !j[key].is_number_integer()) return;
    VDF_CHECK(j[key].get<int64_t>() == ours, "{}: config.json has {} = {} but {} = {}", where, key,
              j[key].get<int64_t>(), our_key, ours);
  };
  expect("num_attention_heads", w.heads, "model.wan.heads");
  expect("num_layers", w.layers, "model.wan.layers");
  expect("ffn_dim", w.ffn_dim, "model.wan.ffn_dim");
  expect("freq_dim", w.freq_dim, "model.wan.freq_dim");
  expect("text_dim", c.text_dim, "model.text_dim");
  expect("in_channels", c.in_channels, "model.in_channels");
  expect("out_channels", c.out_channels, "model.out_channels");
  if (j.contains("num_attention_heads") && j.contains("attention_head_dim") && j["attention_head_dim"].is_number_integer())
    VDF_CHECK(j["attention_head_dim"].get<int64_t>() * j["num_attention_heads"].get<int64_t>() == w.dim,
              "{}: config.json has {} heads x {} head dim but model.wan.dim = {}", where,
              j["num_attention_heads"].get<int64_t>(), j["attention_head_dim"].get<int64_t>(), w.dim);
  if (j.contains("patch_size") && j["patch_size"].is_array())
    VDF_CHECK(j["patch_size"].get<std::vector<int64_t>>() == c.patch, "{}: config.json has patch_size {} but model.patch = [{}]",
              where, j["patch_size"].dump(), fmt::join(c.patch, ", "));
  if (j.contains("cross_attn_norm") && j["cross_attn_norm"].is_boolean())
    VDF_CHECK(j["cross_attn_norm"].get<bool>() == w.cross_attn_norm, "{}: config.json has cross_attn_norm = {} but "
              "model.wan.cross_attn_norm = {}", where, j["cross_attn_norm"].dump(), w.cross_attn_norm);
  if (j.contains("added_kv_proj_dim") && !j["added_kv_proj_dim"].is_null())
    fail("{}: config.json has added_kv_proj_dim = {}: an image-to-video Wan model, which vdf does not support", where,
         j["added_kv_proj_dim"].dump());
}

}  // namespace

tensor_io::TensorMap read_wan_tensors(const fs::path& path, std::string* config_json) {
  VDF_CHECK(fs::exists(path), "Wan weights: '{}' does not exist", path.string());
  if (fs::is_directory(path)) {
    if (fs::is_directory(path / "transformer") && !fs::exists(path / "config.json"))
      return read_wan_tensors(path / "transformer", config_json);
    if (config_json && fs::exists(path / "config.json")) *config_json = read_file(path / "config.json");
    std::vector<fs::path> index, single;
    for (const auto& e : fs::directory_iterator(path)) {
      const std::string name = e.path().filename().string();
      if (name.size() > 23 && name.substr(name.size() - 23) == ".safetensors.index.json") index.push_back(e.path());
      else if (e.path().extension() == ".safetensors") single.push_back(e.path());
    }
    VDF_CHECK(index.size() <= 1, "Wan weights: folder '{}' has {} safetensors index files; name one with model.init_from",
              path.string(), index.size());
    if (index.size() == 1) return wan_read_index(index[0]);
    VDF_CHECK(single.size() == 1, "Wan weights: folder '{}' has no safetensors index and {} .safetensors files "
              "(expected one); name the file with model.init_from", path.string(), single.size());
    return tensor_io::load_weights_file(single[0]);
  }
  const std::string name = path.filename().string();
  if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
    if (config_json && fs::exists(path.parent_path() / "config.json"))
      *config_json = read_file(path.parent_path() / "config.json");
    return wan_read_index(path);
  }
  return tensor_io::load_weights_file(path);
}

WanLayout load_wan_weights(WanTransformerImpl& model, const fs::path& path) {
  std::string config_json;
  const tensor_io::TensorMap tensors = read_wan_tensors(path, &config_json);
  if (!config_json.empty()) wan_check_config_json(config_json, model.config(), path.string());
  tensor_io::LoadOptions opt;
  opt.source = path.string();
  opt.what = "Wan transformer";
  // A checkpoint saved from a wrapper (ComfyUI) carries a prefix on every key.
  for (const char* prefix : {"model.diffusion_model.", "diffusion_model."}) {
    bool all = !tensors.empty();
    for (const auto& kv : tensors) all = all && kv.first.rfind(prefix, 0) == 0;
    if (all) {
      opt.prefix = prefix;
      break;
    }
  }
  const std::string head = opt.prefix;
  const bool original = tensors.count(head + "head.head.weight") || tensors.count(head + "time_embedding.0.weight");
  if (original) opt.rename = original_to_diffusers_names(model.wan().layers);
  tensor_io::load_weights(model, tensors, opt);
  VDF_INFO("Wan transformer: loaded {} tensors ({} names) from {}", tensors.size(), original ? "original Wan" : "diffusers",
           path.string());
  return original ? WanLayout::original : WanLayout::diffusers;
}

}  // namespace vdf::wan
