#include "framework/tensor_io/weights.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/format.h"
#include "framework/core/log.h"
#include "framework/tensor_io/pth.h"

namespace vdf::tensor_io {

namespace {

bool has_magic(const std::filesystem::path& path, const char* magic, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  return in.read(head.data(), static_cast<std::streamsize>(n)) && head.compare(0, n, magic, n) == 0;
}

// The weight_map of a sharded checkpoint's index: key -> shard file name.
std::map<std::string, std::string> read_weight_map(const std::filesystem::path& index_path) {
  VDF_CHECK(std::filesystem::exists(index_path), "weights index '{}' does not exist", index_path.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(index_path));
  } catch (const nlohmann::json::exception& e) {
    fail("weights index '{}' is not valid JSON: {}", index_path.string(), e.what());
  }
  VDF_CHECK(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(),
            "weights index '{}' has no \"weight_map\" object", index_path.string());
  std::map<std::string, std::string> map;
  for (const auto& [key, shard] : j["weight_map"].items()) {
    VDF_CHECK(shard.is_string(), "weights index '{}': the shard of key '{}' is not a file name", index_path.string(),
              key);
    const std::string name = shard.get<std::string>();
    VDF_CHECK(!name.empty() && name.find("..") == std::string::npos && name.front() != '/',
              "weights index '{}': key '{}' names shard '{}', which is not a file beside the index",
              index_path.string(), key, name);
    map.emplace(key, name);
  }
  VDF_CHECK(!map.empty(), "weights index '{}' lists no tensors", index_path.string());
  return map;
}

bool is_weights_index(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const std::string suffix = ".index.json";
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

// The file's tensors under the module's names: prefix filter, then the name-conversion table.
static TensorMap convert_names_for(const TensorMap& tensors, const LoadOptions& options, const std::string& source) {
  TensorMap out;
  std::map<std::string, std::string> origin;  // module name -> file name
  for (const auto& [k, t] : tensors) {
    if (k.compare(0, options.prefix.size(), options.prefix) != 0) continue;
    std::string name = k.substr(options.prefix.size());
    for (const auto& r : options.rename)
      if (name.compare(0, r.from.size(), r.from) == 0) {
        name = r.to + name.substr(r.from.size());
        break;
      }
    auto [it, inserted] = origin.emplace(name, k);
    VDF_CHECK(inserted, "loading {}: file keys '{}' and '{}' both convert to '{}'", source, it->second, k, name);
    out.emplace(name, t);
  }
  return out;
}

TensorMap convert_names(const TensorMap& tensors, const LoadOptions& options) {
  return convert_names_for(tensors, options, options.source.empty() ? "weights" : "'" + options.source + "'");
}

std::vector<std::filesystem::path> weights_index_shards(const std::filesystem::path& index_path) {
  std::set<std::string> names;
  for (const auto& [key, shard] : read_weight_map(index_path)) names.insert(shard);
  std::vector<std::filesystem::path> out;
  for (const auto& n : names) out.push_back(index_path.parent_path() / n);
  return out;
}

TensorMap load_weights_index(const std::filesystem::path& index_path) {
  const auto map = read_weight_map(index_path);
  std::map<std::string, std::vector<std::string>> keys_of_shard;
  for (const auto& [key, shard] : map) keys_of_shard[shard].push_back(key);
  TensorMap out;
  for (const auto& [shard, keys] : keys_of_shard) {
    const auto path = index_path.parent_path() / shard;
    VDF_CHECK(std::filesystem::exists(path), "weights index '{}': shard '{}' (key '{}' and {} more) does not exist",
              index_path.string(), path.string(), keys.front(), keys.size() - 1);
    TensorMap tensors = load_weights_file(path);
    for (const auto& key : keys)
      VDF_CHECK(tensors.count(key), "weights index '{}' puts key '{}' in shard '{}', which does not hold it",
                index_path.string(), key, path.string());
    for (auto& [key, t] : tensors) {
      auto it = map.find(key);
      VDF_CHECK(it != map.end() && it->second == shard,
                "weights index '{}': shard '{}' holds key '{}', which the index {}", index_path.string(),
                path.string(), key, it == map.end() ? "does not list" : "puts in shard '" + it->second + "'");
      out.emplace(key, std::move(t));
    }
  }
  return out;
}

TensorMap load_weights_file(const std::filesystem::path& path) {
  VDF_CHECK(std::filesystem::exists(path), "weights file '{}' does not exist", path.string());
  if (is_weights_index(path)) return load_weights_index(path);
  const std::string ext = path.extension().string();
  if (has_magic(path, "PK\x03\x04", 4) && ext != ".safetensors") {
    TensorMap out;
    for (auto& [k, t] : load_pth(path)) {
      VDF_CHECK(!k.empty(), "'{}' holds a single tensor, not a state dict", path.string());
      VDF_CHECK(out.emplace(k, t).second, "'{}': key '{}' appears twice", path.string(), k);
    }
    return out;
  }
  if (ext == ".pth" || ext == ".pt" || ext == ".bin" || ext == ".ckpt")
    fail("'{}' is not a PyTorch zip checkpoint (legacy pickled .pth files are not supported; re-save with "
         "torch.save or convert to safetensors)", path.string());
  return load_safetensors(path);
}

TensorMap state_dict(const torch::nn::Module& module) {
  TensorMap out;
  for (const auto& p : module.named_parameters(true)) out.emplace(p.key(), p.value().detach());
  for (const auto& b : module.named_buffers(true)) out.emplace(b.key(), b.value().detach());
  return out;
}

TensorMap state_dict_copy(const torch::nn::Module& module) {
  TensorMap out;
  for (const auto& [k, v] : state_dict(module)) out.emplace(k, v.to(torch::kCPU).contiguous().clone());
  return out;
}

TensorMap to_cpu(const TensorMap& tensors) {
  TensorMap out;
  for (const auto& [k, v] : tensors) out.emplace(k, v.detach().to(torch::kCPU).contiguous());
  return out;
}

void load_weights(torch::nn::Module& module, const TensorMap& tensors, const LoadOptions& options) {
  std::string source = options.source.empty() ? "" : "'" + options.source + "'";
  if (!options.what.empty()) source = source.empty() ? options.what : options.what + " " + source;
  if (source.empty()) source = "weights";
  const TensorMap file = convert_names_for(tensors, options, source);
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : module.named_parameters(true)) targets.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) targets.emplace_back(b.key(), b.value());

  std::vector<std::string> missing, unexpected, misshaped, wrong_dtype;
  std::map<std::string, int> conversions;  // "Half->Float" -> count
  std::set<std::string> used;
  for (const auto& [key, dst] : targets) {
    auto it = file.find(key);
    if (it == file.end()) {
      missing.push_back(fmt::format("'{}' (module shape {})", key, shape_str(dst.sizes())));
      continue;
    }
    used.insert(key);
    const auto& src = it->second;
    if (src.sizes() != dst.sizes()) {
      misshaped.push_back(fmt::format("'{}' has shape {} in the file, the module expects {}", key,
                                      shape_str(src.sizes()), shape_str(dst.sizes())));
    } else if (src.scalar_type() != dst.scalar_type()) {
      if (options.convert_dtype)
        ++conversions[fmt::format("{}->{}", c10::toString(src.scalar_type()), c10::toString(dst.scalar_type()))];
      else
        wrong_dtype.push_back(fmt::format("'{}' is {} in the file, the module expects {}", key,
                                          c10::toString(src.scalar_type()), c10::toString(dst.scalar_type())));
    }
  }
  for (const auto& [k, t] : file)
    if (!used.count(k)) unexpected.push_back(fmt::format("'{}' (file shape {})", k, shape_str(t.sizes())));

  if (!missing.empty() || !unexpected.empty() || !misshaped.empty() || !wrong_dtype.empty()) {
    std::string msg = fmt::format("loading {} strictly: {} missing, {} unexpected, {} mis-shaped, {} wrong dtype", source,
                                  missing.size(), unexpected.size(), misshaped.size(), wrong_dtype.size());
    auto list = [&](const char* what, const std::vector<std::string>& items) {
      if (items.empty()) return;
      msg += fmt::format("; {}: ", what);
      for (size_t i = 0; i < items.size() && i < options.max_listed; ++i) msg += (i ? ", " : "") + items[i];
      if (items.size() > options.max_listed) msg += fmt::format(" (and {} more)", items.size() - options.max_listed);
    };
    list("mis-shaped", misshaped);
    list("missing", missing);
    list("unexpected", unexpected);
    list("wrong dtype (convert_dtype is off)", wrong_dtype);
    throw Error(msg);
  }
  torch::NoGradGuard no_grad;
  for (auto& [key, dst] : targets) dst.copy_(file.at(key));
  for (const auto& [what, n] : conversions) VDF_INFO("loading {}: converted {} tensors {}", source, n, what);
}

}  // namespace vdf::tensor_io
