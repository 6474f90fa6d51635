#include "eval/networks/extractors.h"

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/clip/clip_loader.h"
#include "framework/models/clip/preprocess.h"
#include "framework/models/weights.h"

namespace vdf::eval {

namespace fs = std::filesystem;

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  try {
    return torch::Device(name);
  } catch (const std::exception&) {
    fail("device '{}': expected auto, cpu, cuda or cuda:N", name);
  }
}

namespace {
std::shared_ptr<torch::jit::Module> load_script(const std::string& path, torch::Device device) {
  return with_context("loading TorchScript '" + path + "'", [&] {
    auto m = std::make_shared<torch::jit::Module>(torch::jit::load(path, device));
    m->eval();
    return m;
  });
}

}  // namespace

void ExtractorBase::load_weights(torch::nn::Module& native, const std::string& network, const std::string& description,
                                 const std::string& weights, torch::Device device, const fs::path& recipe_keys,
                                 const RecipeRoleOf& role_of, const std::function<void(const std::string&)>& load_file) {
  device_ = device;
  provenance_ = describe_weights(network, weights, recipe_keys);
  provenance_.network = description;
  if (load_file && provenance_.format != "recipe") {
    if (provenance_.format == "torchscript") provenance_.format = "pytorch state dict";
    load_file(weights);
    native.eval();
    native.to(device);
  } else if (provenance_.format == "torchscript") {
    script_ = load_script(weights, device);
  } else {
    load_native_weights(native, provenance_, recipe_keys, role_of);
    native.eval();
    native.to(device);
  }
  if (!provenance_.warning.empty()) VDF_WARN("!!! {} !!!", provenance_.warning);
}

InceptionExtractor InceptionExtractor::load(const std::string& weights, torch::Device device, const fs::path& recipe_keys) {
  VDF_CHECK(!weights.empty(), "no Inception weights given (--weights / eval.inception_weights): pass the converted "
                              "pt_inception-2015-12-05-6726825d.safetensors, NVIDIA's inception-2015-12-05.pt, or "
                              "'recipe' for test weights");
  InceptionExtractor e;
  FidInceptionV3 net;
  e.load_weights(*net, "inception", "inception-v3-fid (pytorch-fid FID variant, 1008 classes, TF 2015-12-05 graph)",
                 weights, device, recipe_keys, inception_recipe_role);
  if (!e.script_) e.native_ = net;
  return e;
}

torch::Tensor InceptionExtractor::features(const torch::Tensor& x, int64_t dims) {
  torch::NoGradGuard ng;
  auto in = x.to(device_);
  if (native_) return (*native_)->features(in, dims);
  VDF_CHECK(dims == 2048, "TorchScript Inception provides pool3 (2048) features only, not {}", dims);
  auto layers = script_->attr("layers").toModule();
  auto out = layers.forward({in}).toTensor();
  return out.reshape({in.size(0), 2048});
}

std::pair<torch::Tensor, torch::Tensor> InceptionExtractor::pool3_and_logits(const torch::Tensor& x) {
  torch::NoGradGuard ng;
  VDF_CHECK(native_.has_value(), "Inception Score needs the native Inception (fc weights); TorchScript archives "
                                 "are supported for FID only");
  auto p = (*native_)->pool3(x.to(device_));
  return {p, (*native_)->logits(p, /*with_bias=*/false)};
}

I3dExtractor I3dExtractor::load(const std::string& weights, torch::Device device, const fs::path& recipe_keys) {
  VDF_CHECK(!weights.empty(), "no I3D weights given (--i3d-weights / eval.i3d_weights): pass the converted "
                              "i3d_pretrained_400.safetensors, StyleGAN-V's i3d_torchscript.pt, or 'recipe'");
  I3dExtractor e;
  InceptionI3d net;
  e.load_weights(*net, "i3d", "i3d-kinetics-400 (Inception-v1 I3D, 400-d logits averaged over time)", weights, device,
                 recipe_keys, i3d_recipe_role);
  if (!e.script_) e.native_ = net;
  return e;
}

torch::Tensor I3dExtractor::features(const torch::Tensor& x) {
  torch::NoGradGuard ng;
  VDF_CHECK(native_.has_value(), "this I3D is a TorchScript archive: use features_raw_uint8()");
  return (*native_)->fvd_features(x.to(device_));
}

torch::Tensor I3dExtractor::features_raw_uint8(const torch::Tensor& x_u8) {
  torch::NoGradGuard ng;
  VDF_CHECK(script_ != nullptr, "features_raw_uint8() needs the StyleGAN-V TorchScript I3D");
  std::unordered_map<std::string, c10::IValue> kwargs{{"rescale", true}, {"resize", true}, {"return_features", true}};
  auto out = script_->get_method("forward")({x_u8.to(device_)}, kwargs).toTensor();
  return out.reshape({x_u8.size(0), -1});
}

ClipExtractor ClipExtractor::load(const std::string& weights, const std::string& model, torch::Device device,
                                  const fs::path& recipe_keys, const fs::path& bpe) {
  VDF_CHECK(!weights.empty(), "no CLIP weights given (--clip-weights / eval.clip_weights): pass OpenAI CLIP weights "
                              "converted to .safetensors (e.g. from ViT-B-32.pt), or 'recipe' for test weights");
  ClipExtractor e;
  e.model_name_ = model;
  e.config_ = clip::ClipConfig::by_name(model);
  clip::ClipModel net(e.config_);
  const std::string network = model == "ViT-B/32" ? "clip-vit-b-32" : model == "ViT-L/14" ? "clip-vit-l-14" : "clip-" + model;
  const auto roles = models::recipe_roles(*net);  // CLIP uses the base recipe: roles follow the module types
  e.load_weights(*net, network,
                 fmt::format("openai-clip {} (embed {}, {} px, context {}; projected embeddings)", model,
                             e.config_.embed_dim, e.config_.image_resolution, e.config_.context_length),
                 weights, device, recipe_keys, [&](const std::string& key) { return roles.at(key); },
                 [&](const std::string& path) { clip::load_clip_weights(*net, path); });
  e.native_ = net;
  e.tokenizer_ = std::make_shared<clip::ClipTokenizer>(bpe.empty() ? clip::ClipTokenizer::default_bpe_path() : bpe);
  return e;
}

torch::Tensor ClipExtractor::image_embeds(const torch::Tensor& frames_u8) {
  torch::NoGradGuard ng;
  VDF_CHECK(frames_u8.dim() == 4, "CLIP image_embeds: expected uint8 [N,H,W,3]");
  std::vector<torch::Tensor> x;
  for (int64_t i = 0; i < frames_u8.size(0); ++i) x.push_back(clip::clip_preprocess(frames_u8[i].cpu(), resolution()));
  return (*native_)->encode_image(torch::stack(x, 0).to(device_)).to(torch::kCPU, torch::kFloat32);
}

torch::Tensor ClipExtractor::text_embeds(const std::vector<std::string>& prompts) {
  torch::NoGradGuard ng;
  auto tokens = tokenizer_->tokenize(prompts, config_.context_length, /*truncate=*/true);
  return (*native_)->encode_text(tokens.to(device_)).to(torch::kCPU, torch::kFloat32);
}

}  // namespace vdf::eval
