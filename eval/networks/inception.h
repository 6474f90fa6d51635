// Inception-v3, FID variant of pytorch-fid (mseitzer/pytorch-fid `fid_inception_v3()`): torchvision
// inception_v3(num_classes=1008, aux_logits=False) with FIDInceptionA/C/E_1/E_2 blocks (average pooling
// that excludes padding; max pooling in Mixed_7c), BatchNorm eps 1e-3. Parameter names are torchvision's
// (`Conv2d_1a_3x3.conv.weight`, ..., `fc.weight`, `fc.bias`), i.e. those of
// `pt_inception-2015-12-05-6726825d.pth`, so the converted checkpoint loads strictly.
//
// Input of forward_blocks(): [N,3,299,299] float, already normalized to [-1,1] (see preprocess.h).
// Outputs per pytorch-fid's InceptionV3 blocks: 0 → [N,64,73,73], 1 → [N,192,35,35], 2 → [N,768,17,17],
// 3 → [N,2048,1,1] ("pool3").
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace vdf::eval {

struct InceptionConfig {
  int64_t num_classes = 1008;  // TF 2015-12-05 graph: 1008 classes
  double bn_eps = 1e-3;
  // NHWC activations and conv weights: the oneDNN convolutions run ~25% faster on CPU than NCHW. Same
  // operations, different summation order: outputs agree with NCHW to ~1e-6 relative (docs/eval.md).
  bool channels_last = true;
};

// Conv (no bias) → BatchNorm(eps 1e-3) → ReLU; submodules `conv`, `bn` (torchvision BasicConv2d).
class BasicConv2dImpl : public torch::nn::Module {
 public:
  BasicConv2dImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride = {1, 1},
                  std::vector<int64_t> padding = {0, 0}, double eps = 1e-3);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

class FidInceptionV3Impl : public torch::nn::Module {
 public:
  explicit FidInceptionV3Impl(const InceptionConfig& config = {});

  // Runs blocks 0..max_block and returns the requested block outputs (raw maps), in block order.
  std::vector<torch::Tensor> forward_blocks(const torch::Tensor& x, const std::vector<int>& blocks);
  // pool3 features [N,2048] (block 3, squeezed).
  torch::Tensor pool3(const torch::Tensor& x);
  // Features of dimension 64 / 192 / 768 / 2048 (pytorch-fid --dims): block output, global-avg-pooled.
  torch::Tensor features(const torch::Tensor& x, int64_t dims);
  // pool3 @ fc.weightᵀ (+ fc.bias when with_bias): Inception-Score logits use no bias.
  torch::Tensor logits(const torch::Tensor& pool3, bool with_bias) const;

  static int block_of_dims(int64_t dims);  // throws for dims not in {64,192,768,2048}

 private:
  InceptionConfig config_;
  std::vector<std::pair<int, torch::nn::AnyModule>> layers_;  // (block index, layer)

 public:
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(FidInceptionV3);

// Golden weight-recipe role of a state-dict key (golden README §2: every BasicConv2d conv uses weight_he).
std::string inception_recipe_role(const std::string& key);

}  // namespace vdf::eval
