#include "framework/models/text/t5_loader.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/log.h"

namespace vdf::text {

namespace fs = std::filesystem;
using tensor_io::TensorMap;

namespace {

// Highest N of keys "<prefix>N." + 1 (0 when there is none).
int64_t t5_count_blocks(const TensorMap& tensors, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& [key, t] : tensors) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t end = key.find('.', prefix.size());
    if (end == std::string::npos) continue;
    try {
      n = std::max<int64_t>(n, std::stoll(key.substr(prefix.size(), end - prefix.size())) + 1);
    } catch (const std::exception&) {
    }
  }
  return n;
}

const torch::Tensor& t5_tensor(const TensorMap& tensors, const std::string& key, const std::string& source) {
  auto it = tensors.find(key);
  VDF_CHECK(it != tensors.end(), "T5 weights '{}': key '{}' is missing (cannot read the architecture)", source, key);
  return it->second;
}

// The folder of a diffusers pipeline's tokenizer beside a text_encoder/ folder, or a folder with spiece.model.
fs::path t5_tokenizer_beside(const fs::path& text_encoder_dir) {
  for (const auto& dir : {text_encoder_dir.parent_path() / "tokenizer", text_encoder_dir})
    if (fs::exists(dir / "spiece.model")) return dir;
  return {};
}

}  // namespace

T5Config t5_config_from_json(const fs::path& config_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(config_json));
  } catch (const nlohmann::json::exception& e) {
    fail("T5 config '{}' is not valid JSON: {}", config_json.string(), e.what());
  }
  T5Config c;
  c.model_type = j.value("model_type", std::string("t5"));
  VDF_CHECK(c.model_type == "t5" || c.model_type == "umt5" || c.model_type == "mt5",
            "T5 config '{}': model_type '{}' is not a T5 encoder (t5, umt5 or mt5)", config_json.string(),
            c.model_type);
  if (c.model_type == "mt5") c.model_type = "t5";  // mT5: T5 v1.1 architecture, layer-0 position bias
  auto get = [&](const char* key, int64_t& field) {
    VDF_CHECK(j.contains(key) && j[key].is_number_integer(), "T5 config '{}': key '{}' is missing or not an integer",
              config_json.string(), key);
    field = j[key].get<int64_t>();
  };
  get("vocab_size", c.vocab_size);
  get("d_model", c.d_model);
  get("d_kv", c.d_kv);
  get("d_ff", c.d_ff);
  get("num_layers", c.num_layers);
  get("num_heads", c.num_heads);
  c.relative_attention_num_buckets = j.value("relative_attention_num_buckets", int64_t{32});
  c.relative_attention_max_distance = j.value("relative_attention_max_distance", int64_t{128});
  c.layer_norm_epsilon = j.value("layer_norm_epsilon", 1e-6);
  // transformers: "gated-gelu" -> gated, act gelu_new (the special case T5 v1.1 needs); "relu"; "gated-silu".
  const std::string proj = j.value("feed_forward_proj", std::string(c.model_type == "umt5" ? "gated-gelu" : "relu"));
  c.gated = proj.rfind("gated-", 0) == 0;
  c.activation = c.gated ? proj.substr(6) : proj;
  if (proj == "gated-gelu") c.activation = "gelu_new";
  VDF_CHECK(c.activation == "gelu_new" || c.activation == "gelu" || c.activation == "relu",
            "T5 config '{}': feed_forward_proj '{}' is not supported (gated-gelu, gelu_new, relu)", config_json.string(),
            proj);
  return c;
}

T5Config t5_config_from_tensors(const TensorMap& tensors, const std::string& source) {
  T5Config c;
  const auto& embed = t5_tensor(tensors, "shared.weight", source);
  VDF_CHECK(embed.dim() == 2, "T5 weights '{}': shared.weight must be 2-D", source);
  c.vocab_size = embed.size(0);
  c.d_model = embed.size(1);
  c.num_layers = t5_count_blocks(tensors, "encoder.block.");
  VDF_CHECK(c.num_layers > 0, "T5 weights '{}': no encoder.block.N.* keys", source);
  const auto& table = t5_tensor(tensors, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", source);
  c.relative_attention_num_buckets = table.size(0);
  c.num_heads = table.size(1);
  c.d_kv = t5_tensor(tensors, "encoder.block.0.layer.0.SelfAttention.q.weight", source).size(0) / c.num_heads;
  c.model_type =
      c.num_layers > 1 && tensors.count("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight")
          ? "umt5"
          : "t5";
  c.gated = tensors.count("encoder.block.0.layer.1.DenseReluDense.wi_0.weight") > 0;
  c.d_ff = t5_tensor(tensors, c.gated ? "encoder.block.0.layer.1.DenseReluDense.wi_0.weight"
                                      : "encoder.block.0.layer.1.DenseReluDense.wi.weight",
                     source)
               .size(0);
  c.activation = c.gated ? "gelu_new" : "relu";
  return c;
}

std::vector<tensor_io::KeyRename> t5_wan_rename(int64_t num_layers) {
  // Wan's wan/modules/t5.py T5Encoder: its FFN is fc1(x) * gelu(gate(x)), transformers' is
  // gelu(wi_0(x)) * wi_1(x): gate.0 -> wi_0, fc1 -> wi_1, fc2 -> wo.
  std::vector<tensor_io::KeyRename> r;
  for (int64_t i = 0; i < num_layers; ++i) {
    const std::string from = "blocks." + std::to_string(i) + ".";
    const std::string to = "encoder.block." + std::to_string(i) + ".layer.";
    r.push_back({from + "norm1.", to + "0.layer_norm."});
    r.push_back({from + "attn.", to + "0.SelfAttention."});
    r.push_back({from + "pos_embedding.embedding.", to + "0.SelfAttention.relative_attention_bias."});
    r.push_back({from + "norm2.", to + "1.layer_norm."});
    r.push_back({from + "ffn.gate.0.", to + "1.DenseReluDense.wi_0."});
    r.push_back({from + "ffn.fc1.", to + "1.DenseReluDense.wi_1."});
    r.push_back({from + "ffn.fc2.", to + "1.DenseReluDense.wo."});
  }
  r.push_back({"token_embedding.", "shared."});
  r.push_back({"pos_embedding.embedding.", "encoder.block.0.layer.0.SelfAttention.relative_attention_bias."});
  r.push_back({"norm.", "encoder.final_layer_norm."});
  return r;
}

T5Checkpoint read_t5_checkpoint(const fs::path& path) {
  VDF_CHECK(!path.empty(), "T5 encoder: no model path given");
  VDF_CHECK(fs::exists(path), "T5 encoder: '{}' does not exist", path.string());
  T5Checkpoint ck;
  if (fs::is_directory(path)) {
    // A diffusers pipeline folder holds the encoder in text_encoder/; a transformers folder is the encoder.
    const bool pipeline = fs::exists(path / "model_index.json") || fs::is_directory(path / "text_encoder");
    const fs::path dir = pipeline ? path / "text_encoder" : path;
    VDF_CHECK(fs::is_directory(dir), "T5 encoder: '{}' has model_index.json but no text_encoder/ folder",
              path.string());
    ck.config_file = dir / "config.json";
    VDF_CHECK(fs::exists(ck.config_file), "T5 encoder: '{}' has no config.json (a transformers model folder needs it)",
              dir.string());
    for (const char* name : {"model.safetensors.index.json", "model.safetensors"})
      if (ck.weights.empty() && fs::exists(dir / name)) ck.weights = dir / name;
    if (ck.weights.empty()) {
      // Other names: one index (sharded) or else one .safetensors file.
      std::vector<fs::path> indexes, files;
      for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n.size() > 11 && n.compare(n.size() - 11, 11, ".index.json") == 0) indexes.push_back(e.path());
        else if (e.path().extension() == ".safetensors") files.push_back(e.path());
      }
      const auto& pick = indexes.empty() ? files : indexes;
      VDF_CHECK(pick.size() == 1,
                "T5 encoder: '{}' has no model.safetensors or model.safetensors.index.json, and {} other "
                "{} (expected exactly one)",
                dir.string(), pick.size(), indexes.empty() ? ".safetensors files" : ".index.json files");
      ck.weights = pick.front();
    }
    ck.tokenizer_dir = t5_tokenizer_beside(dir);
  } else {
    ck.weights = path;
    const fs::path beside = path.parent_path() / "config.json";
    if (fs::exists(beside)) {
      try {
        const auto j = nlohmann::json::parse(read_file(beside));
        const std::string type = j.value("model_type", std::string());
        if (type == "t5" || type == "umt5" || type == "mt5") ck.config_file = beside;
      } catch (const nlohmann::json::exception&) {
      }
    }
    ck.tokenizer_dir = t5_tokenizer_beside(path.parent_path());
  }

  TensorMap tensors = tensor_io::load_weights_file(ck.weights);
  ck.layout = tensors.count("token_embedding.weight") ? "wan" : "transformers";
  if (ck.layout == "wan") {
    tensor_io::LoadOptions names;
    names.source = ck.weights.string();
    names.rename = t5_wan_rename(t5_count_blocks(tensors, "blocks."));
    tensors = tensor_io::convert_names(tensors, names);
  }
  // transformers ties encoder.embed_tokens to shared; files hold either or both (the same tensor).
  if (tensors.count("encoder.embed_tokens.weight")) {
    if (!tensors.count("shared.weight")) tensors["shared.weight"] = tensors["encoder.embed_tokens.weight"];
    tensors.erase("encoder.embed_tokens.weight");
  }
  ck.config = ck.config_file.empty() ? t5_config_from_tensors(tensors, ck.weights.string())
                                     : t5_config_from_json(ck.config_file);
  ck.tensors = std::move(tensors);
  VDF_INFO("T5 encoder: {} from '{}' ({} names, architecture from {})", ck.config.describe(), ck.weights.string(),
           ck.layout, ck.config_file.empty() ? "the tensor shapes" : ck.config_file.string());
  return ck;
}

void load_t5_weights(T5Encoder& model, const T5Checkpoint& checkpoint) {
  tensor_io::LoadOptions options;
  options.what = checkpoint.config.model_type == "umt5" ? "UMT5 encoder" : "T5 encoder";
  options.source = checkpoint.weights.string();
  tensor_io::load_weights(*model, checkpoint.tensors, options);
}

std::string t5_weights_sha256(const T5Checkpoint& checkpoint) {
  const std::string name = checkpoint.weights.filename().string();
  if (name.size() <= 11 || name.compare(name.size() - 11, 11, ".index.json") != 0)
    return sha256_file(checkpoint.weights);
  std::string lines;
  for (const auto& shard : tensor_io::weights_index_shards(checkpoint.weights))
    lines += shard.filename().string() + " " + sha256_file(shard) + "\n";
  return sha256_hex(lines);
}

}  // namespace vdf::text
