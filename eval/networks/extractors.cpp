#include "eval/networks/extractors.h"

#include "eval/util/recipe_lite.h"
#include "eval/util/st_lite.h"
#include "framework/core/compat.h"
#include "framework/core/error.h"
#include "framework/core/log.h"

namespace vdf::eval {

namespace fs = std::filesystem;

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return compat::cuda_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
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

void warn_if_nonstandard(const WeightsProvenance& p) {
  if (!p.warning.empty()) VDF_WARN("!!! {} !!!", p.warning);
}
}  // namespace

InceptionExtractor InceptionExtractor::load(const std::string& weights, torch::Device device, const fs::path& recipe_keys) {
  VDF_CHECK(!weights.empty(), "no Inception weights given (--weights / eval.inception_weights): pass the converted "
                              "pt_inception-2015-12-05-6726825d.safetensors, NVIDIA's inception-2015-12-05.pt, or "
                              "'recipe' for test weights");
  InceptionExtractor e;
  e.device_ = device;
  e.provenance_ = describe_weights("inception", weights, recipe_keys);
  e.provenance_.network = "inception-v3-fid (pytorch-fid FID variant, 1008 classes, TF 2015-12-05 graph)";
  if (e.provenance_.format == "torchscript") {
    e.script_ = load_script(weights, device);
  } else {
    FidInceptionV3 net;
    if (e.provenance_.format == "recipe") {
      const auto keys = recipe_keys_of(weights, recipe_keys);
      if (keys.empty())
        recipe::fill_module_by_role(*net, inception_recipe_role);
      else
        recipe::fill_module(*net, keys);
    } else {
      load_state_dict_strict(*net, st_lite::load(weights), weights);
    }
    net->eval();
    net->to(device);
    e.native_ = net;
  }
  warn_if_nonstandard(e.provenance_);
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
  e.device_ = device;
  e.provenance_ = describe_weights("i3d", weights, recipe_keys);
  e.provenance_.network = "i3d-kinetics-400 (Inception-v1 I3D, 400-d logits averaged over time)";
  if (e.provenance_.format == "torchscript") {
    e.script_ = load_script(weights, device);
  } else {
    InceptionI3d net;
    if (e.provenance_.format == "recipe") {
      const auto keys = recipe_keys_of(weights, recipe_keys);
      if (keys.empty())
        recipe::fill_module_by_role(*net, i3d_recipe_role);
      else
        recipe::fill_module(*net, keys);
    } else {
      load_state_dict_strict(*net, st_lite::load(weights), weights);
    }
    net->eval();
    net->to(device);
    e.native_ = net;
  }
  warn_if_nonstandard(e.provenance_);
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

}  // namespace vdf::eval
