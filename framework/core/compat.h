// The one place where LibTorch version differences live. vdf builds against Debian's LibTorch 1.13 (CPU)
// and the LibTorch 2.x inside a PyTorch install (CUDA). Everything version-dependent goes through here.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>

#include <optional>
#include <string>

#define VDF_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace vdf::compat {

inline std::string torch_version() { return TORCH_VERSION; }

// True when this LibTorch was built with CUDA and a device is visible.
inline bool cuda_available() { return torch::cuda::is_available(); }

// Scaled dot-product attention over [B, H, L, D] tensors. `mask` (optional) is boolean, broadcastable
// to [B, H, Lq, Lk], true = attend. On LibTorch >= 2.0 this is the fused kernel (flash / memory-efficient
// on CUDA); on 1.13 it is the explicit softmax(QK^T/sqrt(d)) V in the input dtype.
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v,
                                                  const std::optional<torch::Tensor>& mask = std::nullopt,
                                                  bool is_causal = false) {
#if VDF_TORCH_AT_LEAST(2, 0)
  c10::optional<torch::Tensor> m;
  if (mask) m = *mask;
  return at::scaled_dot_product_attention(q, k, v, m, /*dropout_p=*/0.0, is_causal);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  if (is_causal) {
    auto causal = torch::ones({q.size(-2), k.size(-2)}, q.options().dtype(torch::kBool)).tril();
    scores = scores.masked_fill(causal.logical_not(), -std::numeric_limits<float>::infinity());
  }
  if (mask) scores = scores.masked_fill(mask->logical_not(), -std::numeric_limits<float>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
#endif
}

}  // namespace vdf::compat

// ---- c10d (distributed) ------------------------------------------------------------------------
// Only translation units that define VDF_COMPAT_C10D before including this header see this part (the
// c10d + Gloo headers are slow to compile). LibTorch 1.13: ProcessGroupGloo/NCCL derive from
// c10d::ProcessGroup; 2.x: they derive from c10d::Backend (ProcessGroup became a dispatching wrapper).
#ifdef VDF_COMPAT_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#ifdef VDF_CUDA
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace vdf::compat {
#if VDF_TORCH_AT_LEAST(2, 0)
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif
using C10dWork = c10d::Work;
}  // namespace vdf::compat
#endif  // VDF_COMPAT_C10D
