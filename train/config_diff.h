// Key-by-key comparison of two resolved configs (YAML text), used to refuse resuming a run with a
// different config. Keys are dotted paths ("train.lr"); lists compare as a whole ("train.val_timesteps").
#pragma once
#include <string>
#include <vector>

namespace vdf::train {

struct ConfigDifference {
  std::string key;
  std::string before;  // "<absent>" when the key did not exist
  std::string after;
};

std::vector<ConfigDifference> diff_configs(const std::string& before_yaml, const std::string& after_yaml);
// Throws vdf::Error listing every differing key not covered by `allowed` (exact key, or a prefix
// followed by '.'), e.g. "config differs from the checkpoint's: train.lr: 0.001 -> 0.002; ...".
// Returns the allowed differences (to be logged).
std::vector<ConfigDifference> check_resume_config(const std::string& checkpoint_yaml, const std::string& current_yaml,
                                                  const std::vector<std::string>& allowed,
                                                  const std::string& checkpoint_name);

}  // namespace vdf::train
