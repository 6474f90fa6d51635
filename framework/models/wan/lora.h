// LoRA for the Wan transformer: adapters on chosen linear layers (model.lora.targets), the base frozen.
//
// The adapters live in a LoraSet module whose state-dict names are the layer paths plus lora_A / lora_B
// ("blocks.0.attn1.to_q.lora_A"), so what the trainer sees (module(): optimizer, EMA, checkpoints, data
// parallel) is exactly the LoRA parameters. The set holds the frozen base and moves it with itself
// (to(), train()).
//
// Files (save_lora / load_lora; docs/training.md "LoRA"):
//   peft     diffusers / PEFT: transformer.<diffusers path>.lora_A.weight [r, in], .lora_B.weight [out, r];
//            alpha / rank is folded into lora_B (the file is correct for loaders that assume alpha = rank,
//            which is what diffusers' load_lora_weights does without metadata)
//   comfyui  diffusion_model.<original Wan path>.lora_down.weight, .lora_up.weight, .alpha (scalar)
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/schema/wan.h"
#include "framework/models/wan/linear.h"
#include "framework/tensor_io/safetensors.h"

namespace vdf::wan {

enum class LoraFormat { peft, comfyui };
LoraFormat parse_lora_format(const std::string& name);  // "peft" | "comfyui"; vdf::Error otherwise

struct LoraSetImpl : torch::nn::Module {
  // Attaches an adapter (rank, alpha of `cfg`) to every Linear of `base` whose name ends with one of
  // cfg.targets and freezes all base parameters. Throws when a target matches no layer.
  LoraSetImpl(std::shared_ptr<torch::nn::Module> base, const config::LoraConfig& cfg);

  void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, bool non_blocking = false) override;
  void train(bool on = true) override;

  // Folds every adapter into its base weight (W += scale B A) and detaches them (the set is empty after).
  void merge();
  // The adapters as a LoRA file's tensors / the file itself.
  tensor_io::TensorMap export_tensors(LoraFormat format) const;
  void save(const std::filesystem::path& path, LoraFormat format) const;
  // Loads a LoRA file of either format into the adapters (every adapter must be in the file, every file
  // adapter must exist here with the same rank).
  void load(const std::filesystem::path& path);

  double scale() const { return scale_; }
  int64_t rank() const { return rank_; }
  const std::vector<std::string>& layer_names() const { return names_; }

 private:
  std::shared_ptr<torch::nn::Module> base_;
  std::vector<std::string> names_;    // diffusers paths of the adapted layers
  std::vector<LinearImpl*> layers_;
  int64_t rank_;
  double alpha_, scale_;
};
TORCH_MODULE(LoraSet);

// Original Wan 2.1 names <-> diffusers names of one module path ("blocks.3.attn1.to_out.0" <->
// "blocks.3.self_attn.o"); names without a counterpart are returned unchanged.
std::string wan_diffusers_to_original(const std::string& path);
std::string wan_original_to_diffusers(const std::string& path);

// Converts a LoRA checkpoint of vdf (LoraSet state dict: "<path>.lora_A" / "<path>.lora_B", with the
// given alpha / rank scale) into a LoRA file's tensors (`vdf lora-export`).
tensor_io::TensorMap lora_file_tensors(const tensor_io::TensorMap& lora_state, double alpha, LoraFormat format);

}  // namespace vdf::wan
