#include "train/config_diff.h"

#include <yaml-cpp/yaml.h>

#include <map>

#include "framework/core/error.h"

namespace vdf::train {
namespace {

void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
    return;
  }
  YAML::Emitter em;
  em << YAML::Flow << node;
  out[prefix] = em.c_str();
}

bool is_allowed(const std::string& key, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed)
    if (key == a || (key.size() > a.size() && key.compare(0, a.size(), a) == 0 && key[a.size()] == '.')) return true;
  return false;
}

}  // namespace

std::vector<ConfigDifference> diff_configs(const std::string& before_yaml, const std::string& after_yaml) {
  std::map<std::string, std::string> a, b;
  flatten(YAML::Load(before_yaml), "", a);
  flatten(YAML::Load(after_yaml), "", b);
  std::vector<ConfigDifference> out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end())
      out.push_back({k, v, "<absent>"});
    else if (it->second != v)
      out.push_back({k, v, it->second});
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) out.push_back({k, "<absent>", v});
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
  return out;
}

std::vector<ConfigDifference> check_resume_config(const std::string& checkpoint_yaml, const std::string& current_yaml,
                                                  const std::vector<std::string>& allowed,
                                                  const std::string& checkpoint_name) {
  std::vector<ConfigDifference> ok;
  std::string bad;
  for (auto& d : diff_configs(checkpoint_yaml, current_yaml)) {
    if (is_allowed(d.key, allowed)) {
      ok.push_back(d);
      continue;
    }
    bad += (bad.empty() ? "" : "; ") + d.key + ": " + d.before + " -> " + d.after;
  }
  if (!bad.empty())
    fail("cannot resume from {}: the config differs from the checkpoint's in {} (checkpoint -> now). Use the "
         "same config, start a new run (run.name=...), or add the key to train.resume_allow_changes",
         checkpoint_name, bad);
  return ok;
}

}  // namespace vdf::train
