#include "eval/networks/i3d.h"

#include "eval/networks/weights.h"
#include "framework/core/error.h"

namespace vdf::eval {

namespace F = torch::nn::functional;

namespace {

using K = std::vector<int64_t>;

// piergiaj compute_pad: TF 'SAME' total padding for one dimension.
int64_t same_pad(int64_t size, int64_t kernel, int64_t stride) {
  return size % stride == 0 ? std::max<int64_t>(kernel - stride, 0) : std::max<int64_t>(kernel - size % stride, 0);
}

torch::Tensor pad_same(const torch::Tensor& x, const K& kernel, const K& stride) {
  std::vector<int64_t> pad(6);
  for (int d = 0; d < 3; ++d) {
    const int64_t p = same_pad(x.size(2 + d), kernel[d], stride[d]);
    // F.pad order: (w_front, w_back, h_front, h_back, t_front, t_back)
    pad[2 * (2 - d)] = p / 2;
    pad[2 * (2 - d) + 1] = p - p / 2;
  }
  bool any = false;
  for (auto p : pad) any = any || p != 0;
  return any ? F::pad(x, F::PadFuncOptions(pad)) : x;
}

// MaxPool3dSamePadding: zero padding (F.pad) then max pooling.
class MaxPoolSameImpl : public torch::nn::Module {
 public:
  MaxPoolSameImpl(K kernel, K stride) : kernel_(std::move(kernel)), stride_(std::move(stride)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return F::max_pool3d(pad_same(x, kernel_, stride_), F::MaxPool3dFuncOptions(kernel_).stride(stride_));
  }

 private:
  K kernel_, stride_;
};
TORCH_MODULE(MaxPoolSame);

class InceptionModuleImpl : public torch::nn::Module {
 public:
  InceptionModuleImpl(int64_t in, const K& c, double eps) {
    b0 = register_module("b0", Unit3D(in, c[0], K{1, 1, 1}, K{1, 1, 1}, true, true, false, eps));
    b1a = register_module("b1a", Unit3D(in, c[1], K{1, 1, 1}, K{1, 1, 1}, true, true, false, eps));
    b1b = register_module("b1b", Unit3D(c[1], c[2], K{3, 3, 3}, K{1, 1, 1}, true, true, false, eps));
    b2a = register_module("b2a", Unit3D(in, c[3], K{1, 1, 1}, K{1, 1, 1}, true, true, false, eps));
    b2b = register_module("b2b", Unit3D(c[3], c[4], K{3, 3, 3}, K{1, 1, 1}, true, true, false, eps));
    b3b = register_module("b3b", Unit3D(in, c[5], K{1, 1, 1}, K{1, 1, 1}, true, true, false, eps));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::cat({b0(x), b1b(b1a(x)), b2b(b2a(x)), b3b(b3a(x))}, 1);
  }
  Unit3D b0{nullptr}, b1a{nullptr}, b1b{nullptr}, b2a{nullptr}, b2b{nullptr}, b3b{nullptr};
  MaxPoolSame b3a{K{3, 3, 3}, K{1, 1, 1}};
};
TORCH_MODULE(InceptionModule);

}  // namespace

Unit3DImpl::Unit3DImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                       bool batch_norm, bool relu, bool bias, double eps)
    : kernel_(kernel), stride_(stride), relu_(relu) {
  conv3d = register_module("conv3d", torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).stride(stride).bias(bias)));
  if (batch_norm)
    bn = register_module("bn", torch::nn::BatchNorm3d(torch::nn::BatchNorm3dOptions(out).eps(eps).momentum(0.01)));
}

torch::Tensor Unit3DImpl::forward(const torch::Tensor& x) {
  auto h = conv3d(pad_same(x, kernel_, stride_));
  if (bn) h = bn(h);
  return relu_ ? torch::relu(h) : h;
}

InceptionI3dImpl::InceptionI3dImpl(const I3dConfig& config) {
  const double e = config.bn_eps;
  auto add = [&](const std::string& name, auto module, bool registered) {
    if (registered) register_module(name, module);
    endpoints_.emplace_back(name, torch::nn::AnyModule(module));
  };
  add("Conv3d_1a_7x7", Unit3D(3, 64, K{7, 7, 7}, K{2, 2, 2}, true, true, false, e), true);
  add("MaxPool3d_2a_3x3", MaxPoolSame(K{1, 3, 3}, K{1, 2, 2}), false);
  add("Conv3d_2b_1x1", Unit3D(64, 64, K{1, 1, 1}, K{1, 1, 1}, true, true, false, e), true);
  add("Conv3d_2c_3x3", Unit3D(64, 192, K{3, 3, 3}, K{1, 1, 1}, true, true, false, e), true);
  add("MaxPool3d_3a_3x3", MaxPoolSame(K{1, 3, 3}, K{1, 2, 2}), false);
  add("Mixed_3b", InceptionModule(192, K{64, 96, 128, 16, 32, 32}, e), true);
  add("Mixed_3c", InceptionModule(256, K{128, 128, 192, 32, 96, 64}, e), true);
  add("MaxPool3d_4a_3x3", MaxPoolSame(K{3, 3, 3}, K{2, 2, 2}), false);
  add("Mixed_4b", InceptionModule(128 + 192 + 96 + 64, K{192, 96, 208, 16, 48, 64}, e), true);
  add("Mixed_4c", InceptionModule(192 + 208 + 48 + 64, K{160, 112, 224, 24, 64, 64}, e), true);
  add("Mixed_4d", InceptionModule(160 + 224 + 64 + 64, K{128, 128, 256, 24, 64, 64}, e), true);
  add("Mixed_4e", InceptionModule(128 + 256 + 64 + 64, K{112, 144, 288, 32, 64, 64}, e), true);
  add("Mixed_4f", InceptionModule(112 + 288 + 64 + 64, K{256, 160, 320, 32, 128, 128}, e), true);
  add("MaxPool3d_5a_2x2", MaxPoolSame(K{2, 2, 2}, K{2, 2, 2}), false);
  add("Mixed_5b", InceptionModule(256 + 320 + 128 + 128, K{256, 160, 320, 32, 128, 128}, e), true);
  add("Mixed_5c", InceptionModule(256 + 320 + 128 + 128, K{384, 192, 384, 48, 128, 128}, e), true);
  logits = register_module("logits", Unit3D(384 + 384 + 128 + 128, config.num_classes, K{1, 1, 1}, K{1, 1, 1},
                                            /*batch_norm=*/false, /*relu=*/false, /*bias=*/true, e));
}

torch::Tensor InceptionI3dImpl::trunk(const torch::Tensor& x, std::map<std::string, torch::Tensor>* endpoint_means) {
  VDF_CHECK(x.dim() == 5 && x.size(1) == 3, "I3D input must be [B,3,T,H,W], got {} dims", x.dim());
  torch::Tensor h = x;
  for (auto& [name, module] : endpoints_) {
    h = module.forward(h);
    if (endpoint_means) (*endpoint_means)[name] = h.mean({2, 3, 4});
  }
  // AvgPool3d([2,7,7], stride 1), no padding.
  return F::avg_pool3d(h, F::AvgPool3dFuncOptions(K{2, 7, 7}).stride(1));
}

torch::Tensor InceptionI3dImpl::forward(const torch::Tensor& x, std::map<std::string, torch::Tensor>* endpoint_means) {
  auto h = logits(trunk(x, endpoint_means));  // dropout is the identity in eval
  return h.squeeze(3).squeeze(3);
}

std::string i3d_recipe_role(const std::string& key) {
  const std::string bn = batchnorm_recipe_role(key);
  if (!bn.empty()) return bn;
  if (key == "logits.conv3d.weight") return "weight";
  if (key == "logits.conv3d.bias") return "bias";
  VDF_CHECK(key.size() > 14 && key.compare(key.size() - 14, 14, ".conv3d.weight") == 0, "i3d recipe: no role for key '{}'", key);
  return "weight_he";
}

torch::Tensor InceptionI3dImpl::fvd_features(const torch::Tensor& x) { return forward(x).mean(2); }

torch::Tensor InceptionI3dImpl::pooled_features(const torch::Tensor& x) {
  return trunk(x, nullptr).mean(2).flatten(1);
}

}  // namespace vdf::eval
