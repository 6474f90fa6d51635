// I3D Inception-v1 (Kinetics-400), piergiaj/pytorch-i3d `InceptionI3d(num_classes=400, in_channels=3)` —
// the module and key names of VideoGPT/TATS `i3d_pretrained_400.pt` (`Conv3d_1a_7x7.conv3d.weight`,
// `Mixed_3b.b1b.bn.running_var`, `logits.conv3d.bias`, ...). TF "SAME" padding computed from the input
// size (front = pad/2), zero-padded max pooling, BatchNorm eps 1e-3 (piergiaj Unit3D), eval mode.
//
// Input [B,3,T,H,W] in [-1,1]. fvd_features() = logits averaged over time: [B,400], pre-softmax — the
// FVD feature ("RGB/inception_i3d/Mean:0" of the TF-hub module).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace vdf::eval {

struct I3dConfig {
  int64_t num_classes = 400;
  double bn_eps = 1e-3;
};

// Conv3d (+ optional bias) with dynamic TF-SAME padding → BatchNorm3d → ReLU (submodules conv3d, bn).
class Unit3DImpl : public torch::nn::Module {
 public:
  Unit3DImpl(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride = {1, 1, 1},
             bool batch_norm = true, bool relu = true, bool bias = false, double eps = 1e-3);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv3d conv3d{nullptr};
  torch::nn::BatchNorm3d bn{nullptr};

 private:
  std::vector<int64_t> kernel_, stride_;
  bool relu_;
};
TORCH_MODULE(Unit3D);

class InceptionI3dImpl : public torch::nn::Module {
 public:
  explicit InceptionI3dImpl(const I3dConfig& config = {});
  // Raw logits [B, num_classes, T'] (spatially squeezed), as piergiaj forward().
  // When `endpoint_means` is given, each endpoint's output averaged over (T,H,W) is stored there.
  torch::Tensor forward(const torch::Tensor& x, std::map<std::string, torch::Tensor>* endpoint_means = nullptr);
  // Logits averaged over time: [B, num_classes].
  torch::Tensor fvd_features(const torch::Tensor& x);
  // extract_features(): AvgPool3d output [B,1024,T',1,1] averaged over T' → [B,1024].
  torch::Tensor pooled_features(const torch::Tensor& x);

  Unit3D logits{nullptr};

 private:
  torch::Tensor trunk(const torch::Tensor& x, std::map<std::string, torch::Tensor>* endpoint_means);
  std::vector<std::pair<std::string, torch::nn::AnyModule>> endpoints_;
};
TORCH_MODULE(InceptionI3d);

// Golden weight-recipe role of a state-dict key (every conv3d uses weight_he except logits.conv3d.weight).
std::string i3d_recipe_role(const std::string& key);

}  // namespace vdf::eval
