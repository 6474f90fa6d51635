#include "eval/networks/inception.h"

#include "eval/networks/weights.h"
#include "framework/core/error.h"

namespace vdf::eval {

namespace F = torch::nn::functional;

BasicConv2dImpl::BasicConv2dImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                 std::vector<int64_t> padding, double eps) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                       .stride(stride)
                                                       .padding(padding)
                                                       .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(eps)));
}

torch::Tensor BasicConv2dImpl::forward(const torch::Tensor& x) { return bn(conv(x)).relu_(); }

namespace {

using K = std::vector<int64_t>;

// Average pooling 3x3/1/1 that ignores padding (TF semantics, pytorch-fid's FID blocks).
torch::Tensor avg_pool_exclude_pad(const torch::Tensor& x) {
  return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false));
}

// FIDInceptionA (torchvision InceptionA with count_include_pad=False).
class InceptionAImpl : public torch::nn::Module {
 public:
  InceptionAImpl(int64_t in, int64_t pool_features, double eps) {
    branch1x1 = register_module("branch1x1", BasicConv2d(in, 64, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch5x5_1 = register_module("branch5x5_1", BasicConv2d(in, 48, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch5x5_2 = register_module("branch5x5_2", BasicConv2d(48, 64, K{5, 5}, K{1, 1}, K{2, 2}, eps));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, 64, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(64, 96, K{3, 3}, K{1, 1}, K{1, 1}, eps));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(96, 96, K{3, 3}, K{1, 1}, K{1, 1}, eps));
    branch_pool = register_module("branch_pool", BasicConv2d(in, pool_features, K{1, 1}, K{1, 1}, K{0, 0}, eps));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b5 = branch5x5_2(branch5x5_1(x));
    auto b3 = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    auto bp = branch_pool(avg_pool_exclude_pad(x));
    return torch::cat({b1, b5, b3, bp}, 1);
  }
  BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr}, branch3x3dbl_1{nullptr},
      branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionA);


// torchvision InceptionB (Mixed_6a), unchanged in pytorch-fid.
class InceptionBImpl : public torch::nn::Module {
 public:
  InceptionBImpl(int64_t in, double eps) {
    branch3x3 = register_module("branch3x3", BasicConv2d(in, 384, K{3, 3}, K{2, 2}, K{0, 0}, eps));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, 64, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(64, 96, K{3, 3}, K{1, 1}, K{1, 1}, eps));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(96, 96, K{3, 3}, K{2, 2}, K{0, 0}, eps));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b3 = branch3x3(x);
    auto bd = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    auto bp = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    return torch::cat({b3, bd, bp}, 1);
  }
  BasicConv2d branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
};
TORCH_MODULE(InceptionB);

// FIDInceptionC (count_include_pad=False).
class InceptionCImpl : public torch::nn::Module {
 public:
  InceptionCImpl(int64_t in, int64_t c7, double eps) {
    branch1x1 = register_module("branch1x1", BasicConv2d(in, 192, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch7x7_1 = register_module("branch7x7_1", BasicConv2d(in, c7, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch7x7_2 = register_module("branch7x7_2", BasicConv2d(c7, c7, K{1, 7}, K{1, 1}, K{0, 3}, eps));
    branch7x7_3 = register_module("branch7x7_3", BasicConv2d(c7, 192, K{7, 1}, K{1, 1}, K{3, 0}, eps));
    branch7x7dbl_1 = register_module("branch7x7dbl_1", BasicConv2d(in, c7, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch7x7dbl_2 = register_module("branch7x7dbl_2", BasicConv2d(c7, c7, K{7, 1}, K{1, 1}, K{3, 0}, eps));
    branch7x7dbl_3 = register_module("branch7x7dbl_3", BasicConv2d(c7, c7, K{1, 7}, K{1, 1}, K{0, 3}, eps));
    branch7x7dbl_4 = register_module("branch7x7dbl_4", BasicConv2d(c7, c7, K{7, 1}, K{1, 1}, K{3, 0}, eps));
    branch7x7dbl_5 = register_module("branch7x7dbl_5", BasicConv2d(c7, 192, K{1, 7}, K{1, 1}, K{0, 3}, eps));
    branch_pool = register_module("branch_pool", BasicConv2d(in, 192, K{1, 1}, K{1, 1}, K{0, 0}, eps));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b7 = branch7x7_3(branch7x7_2(branch7x7_1(x)));
    auto bd = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)))));
    auto bp = branch_pool(avg_pool_exclude_pad(x));
    return torch::cat({b1, b7, bd, bp}, 1);
  }
  BasicConv2d branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr}, branch7x7dbl_4{nullptr},
      branch7x7dbl_5{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionC);

// torchvision InceptionD (Mixed_7a), unchanged.
class InceptionDImpl : public torch::nn::Module {
 public:
  InceptionDImpl(int64_t in, double eps) {
    branch3x3_1 = register_module("branch3x3_1", BasicConv2d(in, 192, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch3x3_2 = register_module("branch3x3_2", BasicConv2d(192, 320, K{3, 3}, K{2, 2}, K{0, 0}, eps));
    branch7x7x3_1 = register_module("branch7x7x3_1", BasicConv2d(in, 192, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch7x7x3_2 = register_module("branch7x7x3_2", BasicConv2d(192, 192, K{1, 7}, K{1, 1}, K{0, 3}, eps));
    branch7x7x3_3 = register_module("branch7x7x3_3", BasicConv2d(192, 192, K{7, 1}, K{1, 1}, K{3, 0}, eps));
    branch7x7x3_4 = register_module("branch7x7x3_4", BasicConv2d(192, 192, K{3, 3}, K{2, 2}, K{0, 0}, eps));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b3 = branch3x3_2(branch3x3_1(x));
    auto b7 = branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))));
    auto bp = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
    return torch::cat({b3, b7, bp}, 1);
  }
  BasicConv2d branch3x3_1{nullptr}, branch3x3_2{nullptr}, branch7x7x3_1{nullptr}, branch7x7x3_2{nullptr},
      branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};
};
TORCH_MODULE(InceptionD);

// FIDInceptionE_1 (avg pool excluding padding) and FIDInceptionE_2 (max pool), by `max_pool`.
class InceptionEImpl : public torch::nn::Module {
 public:
  InceptionEImpl(int64_t in, bool max_pool, double eps) : max_pool_(max_pool) {
    branch1x1 = register_module("branch1x1", BasicConv2d(in, 320, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch3x3_1 = register_module("branch3x3_1", BasicConv2d(in, 384, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch3x3_2a = register_module("branch3x3_2a", BasicConv2d(384, 384, K{1, 3}, K{1, 1}, K{0, 1}, eps));
    branch3x3_2b = register_module("branch3x3_2b", BasicConv2d(384, 384, K{3, 1}, K{1, 1}, K{1, 0}, eps));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(in, 448, K{1, 1}, K{1, 1}, K{0, 0}, eps));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(448, 384, K{3, 3}, K{1, 1}, K{1, 1}, eps));
    branch3x3dbl_3a = register_module("branch3x3dbl_3a", BasicConv2d(384, 384, K{1, 3}, K{1, 1}, K{0, 1}, eps));
    branch3x3dbl_3b = register_module("branch3x3dbl_3b", BasicConv2d(384, 384, K{3, 1}, K{1, 1}, K{1, 0}, eps));
    branch_pool = register_module("branch_pool", BasicConv2d(in, 192, K{1, 1}, K{1, 1}, K{0, 0}, eps));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b3 = branch3x3_1(x);
    b3 = torch::cat({branch3x3_2a(b3), branch3x3_2b(b3)}, 1);
    auto bd = branch3x3dbl_2(branch3x3dbl_1(x));
    bd = torch::cat({branch3x3dbl_3a(bd), branch3x3dbl_3b(bd)}, 1);
    auto pooled = max_pool_ ? F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(1).padding(1)) : avg_pool_exclude_pad(x);
    auto bp = branch_pool(pooled);
    return torch::cat({b1, b3, bd, bp}, 1);
  }
  BasicConv2d branch1x1{nullptr}, branch3x3_1{nullptr}, branch3x3_2a{nullptr}, branch3x3_2b{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr},
      branch_pool{nullptr};

 private:
  bool max_pool_;
};
TORCH_MODULE(InceptionE);

struct MaxPool3s2Impl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) { return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2)); }
};
TORCH_MODULE(MaxPool3s2);

}  // namespace

FidInceptionV3Impl::FidInceptionV3Impl(const InceptionConfig& config) : config_(config) {
  const double e = config.bn_eps;
  auto add = [&](int block, const std::string& name, auto module) {
    register_module(name, module);
    layers_.emplace_back(block, torch::nn::AnyModule(module));
  };
  add(0, "Conv2d_1a_3x3", BasicConv2d(3, 32, K{3, 3}, K{2, 2}, K{0, 0}, e));
  add(0, "Conv2d_2a_3x3", BasicConv2d(32, 32, K{3, 3}, K{1, 1}, K{0, 0}, e));
  add(0, "Conv2d_2b_3x3", BasicConv2d(32, 64, K{3, 3}, K{1, 1}, K{1, 1}, e));
  layers_.emplace_back(0, torch::nn::AnyModule(MaxPool3s2()));
  add(1, "Conv2d_3b_1x1", BasicConv2d(64, 80, K{1, 1}, K{1, 1}, K{0, 0}, e));
  add(1, "Conv2d_4a_3x3", BasicConv2d(80, 192, K{3, 3}, K{1, 1}, K{0, 0}, e));
  layers_.emplace_back(1, torch::nn::AnyModule(MaxPool3s2()));
  add(2, "Mixed_5b", InceptionA(192, 32, e));
  add(2, "Mixed_5c", InceptionA(256, 64, e));
  add(2, "Mixed_5d", InceptionA(288, 64, e));
  add(2, "Mixed_6a", InceptionB(288, e));
  add(2, "Mixed_6b", InceptionC(768, 128, e));
  add(2, "Mixed_6c", InceptionC(768, 160, e));
  add(2, "Mixed_6d", InceptionC(768, 160, e));
  add(2, "Mixed_6e", InceptionC(768, 192, e));
  add(3, "Mixed_7a", InceptionD(768, e));
  add(3, "Mixed_7b", InceptionE(1280, /*max_pool=*/false, e));
  add(3, "Mixed_7c", InceptionE(2048, /*max_pool=*/true, e));
  fc = register_module("fc", torch::nn::Linear(2048, config.num_classes));
  if (config.channels_last) {
    torch::NoGradGuard ng;
    for (auto& p : parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

std::vector<torch::Tensor> FidInceptionV3Impl::forward_blocks(const torch::Tensor& x, const std::vector<int>& blocks) {
  VDF_CHECK(x.dim() == 4 && x.size(1) == 3, "Inception input must be [N,3,H,W], got {} dims", x.dim());
  int last = 0;
  for (int b : blocks) {
    VDF_CHECK(b >= 0 && b <= 3, "Inception block index {} out of range 0..3", b);
    last = std::max(last, b);
  }
  std::vector<torch::Tensor> out;
  torch::Tensor h = config_.channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
  int current = 0;
  auto emit = [&](int block) {
    if (std::find(blocks.begin(), blocks.end(), block) != blocks.end()) out.push_back(h);
  };
  for (auto& [block, layer] : layers_) {
    if (block > last) break;
    if (block != current) {
      emit(current);
      current = block;
    }
    h = layer.forward(h);
  }
  if (current == 3) h = F::adaptive_avg_pool2d(h, F::AdaptiveAvgPool2dFuncOptions(1));
  emit(current);
  return out;
}

torch::Tensor FidInceptionV3Impl::pool3(const torch::Tensor& x) { return forward_blocks(x, {3})[0].flatten(1); }

int FidInceptionV3Impl::block_of_dims(int64_t dims) {
  switch (dims) {
    case 64: return 0;
    case 192: return 1;
    case 768: return 2;
    case 2048: return 3;
    default: fail("Inception feature dims {}: expected 64, 192, 768 or 2048", dims);
  }
}

torch::Tensor FidInceptionV3Impl::features(const torch::Tensor& x, int64_t dims) {
  auto h = forward_blocks(x, {block_of_dims(dims)})[0];
  if (h.size(2) != 1 || h.size(3) != 1) h = F::adaptive_avg_pool2d(h, F::AdaptiveAvgPool2dFuncOptions(1));
  return h.flatten(1);
}

std::string inception_recipe_role(const std::string& key) {
  const std::string bn = batchnorm_recipe_role(key);
  if (!bn.empty()) return bn;
  if (key == "fc.weight") return "weight";
  if (key == "fc.bias") return "bias";
  VDF_CHECK(key.size() > 12 && key.compare(key.size() - 12, 12, ".conv.weight") == 0,
            "inception recipe: no role for key '{}'", key);
  return "weight_he";
}

torch::Tensor FidInceptionV3Impl::logits(const torch::Tensor& pool3, bool with_bias) const {
  auto l = pool3.matmul(fc->weight.t());
  return with_bias ? l + fc->bias : l;
}

}  // namespace vdf::eval
