// Feature extractors used by the metrics: one object per network, backed either by the native LibTorch
// module (recipe or converted .safetensors weights) or by a TorchScript archive run with torch::jit::load
// (NVIDIA inception-2015-12-05.pt, StyleGAN-V i3d_torchscript.pt). Each carries its weights provenance.
#pragma once
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "eval/networks/i3d.h"
#include "eval/networks/inception.h"
#include "eval/networks/weights.h"

namespace vdf::eval {

// Resolves "auto" | "cpu" | "cuda" | "cuda:N".
torch::Device resolve_device(const std::string& name);

class InceptionExtractor {
 public:
  // `weights`: "recipe[:keys.txt]", a .safetensors state dict (torchvision key names), or a TorchScript .pt
  // with a `layers` submodule (NVIDIA inception-2015-12-05.pt; its `layers` takes the normalized 299 input).
  // `recipe_keys`: keys.txt used for a bare "recipe" (e.g. ../shared/golden/inception_fid/keys.txt).
  static InceptionExtractor load(const std::string& weights, torch::Device device,
                                 const std::filesystem::path& recipe_keys = {});

  // x: normalized [N,3,299,299] (preprocess.h). Returns [N, dims] float32.
  torch::Tensor features(const torch::Tensor& x, int64_t dims);
  // pool3 [N,2048] and, for the IS, logits without bias [N,1008] (native weights only).
  std::pair<torch::Tensor, torch::Tensor> pool3_and_logits(const torch::Tensor& x);
  bool has_logits() const { return static_cast<bool>(native_); }
  const WeightsProvenance& provenance() const { return provenance_; }
  torch::Device device() const { return device_; }

 private:
  std::optional<FidInceptionV3> native_;
  std::shared_ptr<torch::jit::Module> script_;
  WeightsProvenance provenance_;
  torch::Device device_ = torch::kCPU;
};

class I3dExtractor {
 public:
  // `weights`: "recipe[:keys.txt]", a .safetensors state dict (piergiaj key names, i3d_pretrained_400.pt),
  // or StyleGAN-V's TorchScript i3d_torchscript.pt (called with rescale/resize/return_features kwargs).
  static I3dExtractor load(const std::string& weights, torch::Device device,
                           const std::filesystem::path& recipe_keys = {});
  bool is_torchscript() const { return static_cast<bool>(script_); }
  // Native: x = preprocessed [B,3,T,224,224] in the protocol's range → [B,400].
  torch::Tensor features(const torch::Tensor& x);
  // TorchScript (StyleGAN-V): raw uint8 [B,3,T,H,W]; the archive rescales and resizes itself.
  torch::Tensor features_raw_uint8(const torch::Tensor& x_u8);
  const WeightsProvenance& provenance() const { return provenance_; }
  torch::Device device() const { return device_; }

 private:
  std::optional<InceptionI3d> native_;
  std::shared_ptr<torch::jit::Module> script_;
  WeightsProvenance provenance_;
  torch::Device device_ = torch::kCPU;
};

}  // namespace vdf::eval
