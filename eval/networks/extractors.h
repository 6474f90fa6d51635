// Feature extractors used by the metrics: one object per network, backed either by the native LibTorch
// module (recipe or converted .safetensors weights) or by a TorchScript archive run with torch::jit::load
// (NVIDIA inception-2015-12-05.pt, StyleGAN-V i3d_torchscript.pt). Each carries its weights provenance.
// CLIP is framework/models/clip (OpenAI key names) with its exact tokenizer and preprocessing.
#pragma once
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "eval/networks/i3d.h"
#include "framework/models/clip/clip_model.h"
#include "framework/models/clip/tokenizer.h"
#include "eval/networks/inception.h"
#include "eval/networks/weights.h"

namespace vdf::eval {

// Resolves "auto" | "cpu" | "cuda" | "cuda:N".
torch::Device resolve_device(const std::string& name);

// What every extractor has: the weights provenance, the device, and (for TorchScript weights) the archive.
class ExtractorBase {
 public:
  const WeightsProvenance& provenance() const { return provenance_; }
  torch::Device device() const { return device_; }
  bool is_torchscript() const { return static_cast<bool>(script_); }

 protected:
  // Describes `weights` for `network`, loads a TorchScript archive or fills `native` (recipe or state dict),
  // moves it to `device` and warns loudly when the weights are not the standard ones.
  // `load_file`, when given, reads every weights file into `native` (no TorchScript path).
  void load_weights(torch::nn::Module& native, const std::string& network, const std::string& description,
                    const std::string& weights, torch::Device device, const std::filesystem::path& recipe_keys,
                    const RecipeRoleOf& role_of,
                    const std::function<void(const std::string&)>& load_file = nullptr);

  std::shared_ptr<torch::jit::Module> script_;
  WeightsProvenance provenance_;
  torch::Device device_ = torch::kCPU;
};

class InceptionExtractor : public ExtractorBase {
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

 private:
  std::optional<FidInceptionV3> native_;
};

class I3dExtractor : public ExtractorBase {
 public:
  // `weights`: "recipe[:keys.txt]", a .safetensors state dict (piergiaj key names, i3d_pretrained_400.pt),
  // or StyleGAN-V's TorchScript i3d_torchscript.pt (called with rescale/resize/return_features kwargs).
  static I3dExtractor load(const std::string& weights, torch::Device device,
                           const std::filesystem::path& recipe_keys = {});
  // Native: x = preprocessed [B,3,T,224,224] in the protocol's range → [B,400].
  torch::Tensor features(const torch::Tensor& x);
  // TorchScript (StyleGAN-V): raw uint8 [B,3,T,H,W]; the archive rescales and resizes itself.
  torch::Tensor features_raw_uint8(const torch::Tensor& x_u8);

 private:
  std::optional<InceptionI3d> native_;
};

// OpenAI CLIP image and text towers for the CLIP score.
class ClipExtractor : public ExtractorBase {
 public:
  // `model`: "ViT-B/32" | "ViT-L/14" | "tiny" (a small test architecture, never standard).
  // `weights`: "recipe[:keys.txt]" or an OpenAI CLIP state dict (.safetensors, or a torch.save'd .pth; the
  // released .pt JIT archives must be converted first). `bpe`: merges file (empty: ClipTokenizer default).
  static ClipExtractor load(const std::string& weights, const std::string& model, torch::Device device,
                            const std::filesystem::path& recipe_keys = {}, const std::filesystem::path& bpe = {});
  // uint8 frames [N,H,W,3] → clip._transform(resolution) → encode_image: [N, embed] float32 (unnormalized).
  torch::Tensor image_embeds(const torch::Tensor& frames_u8);
  // clip.tokenize(truncate=True) → encode_text: [N, embed] float32 (unnormalized).
  torch::Tensor text_embeds(const std::vector<std::string>& prompts);
  int64_t resolution() const { return config_.image_resolution; }
  const std::string& model_name() const { return model_name_; }
  const clip::ClipTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  clip::ClipConfig config_;
  std::string model_name_;
  std::optional<clip::ClipModel> native_;
  std::shared_ptr<clip::ClipTokenizer> tokenizer_;
};

}  // namespace vdf::eval
