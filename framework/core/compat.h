// The one place where LibTorch version differences live. vdf builds against Debian's LibTorch 1.13 (CPU)
// and the LibTorch 2.x inside a PyTorch install (CUDA). Everything version-dependent goes through here.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>

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

// CUDA autocast (bf16/fp16 mixed precision) state of this thread. Gradient checkpointing records it in
// forward and restores it while recomputing in backward (autocast is thread-local and backward may run
// on another thread or outside the autocast region).
struct AutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kBFloat16;
};

inline AutocastState autocast_state() {
#if VDF_TORCH_AT_LEAST(2, 4)
  return {at::autocast::is_autocast_enabled(at::kCUDA), at::autocast::get_autocast_dtype(at::kCUDA)};
#else
  return {at::autocast::is_enabled(), at::autocast::get_autocast_gpu_dtype()};
#endif
}

inline void set_autocast_state(const AutocastState& s) {
#if VDF_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(at::kCUDA, s.enabled);
  at::autocast::set_autocast_dtype(at::kCUDA, s.dtype);
#else
  at::autocast::set_enabled(s.enabled);
  at::autocast::set_autocast_gpu_dtype(s.dtype);
#endif
}

// Sets an autocast state for a scope and restores the previous one (clearing the cast cache when the
// scope turned autocast on).
class AutocastGuard {
 public:
  explicit AutocastGuard(const AutocastState& s) : previous_(autocast_state()) {
    set_autocast_state(s);
    if (s.enabled) at::autocast::increment_nesting();
    entered_ = s.enabled;
  }
  ~AutocastGuard() {
    if (entered_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_state(previous_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  AutocastState previous_;
  bool entered_ = false;
};

// Mixed-precision autocast scope (bf16 on CUDA with fp32 master weights): ops inside run in `dtype`
// where autocast allows it. Restores the previous state on exit. No-op when `enabled` is false.
// LibTorch < 2.4 has per-device functions (set_enabled / set_autocast_gpu_dtype, set_cpu_enabled /
// set_autocast_cpu_dtype); 2.4+ takes the device type as an argument.
class DeviceAutocastGuard {
 public:
  DeviceAutocastGuard(c10::DeviceType device, at::ScalarType dtype, bool enabled) : device_(device), enabled_(enabled) {
    if (!enabled_) return;
    prev_enabled_ = is_enabled(device_);
    prev_dtype_ = get_dtype(device_);
    set_enabled(device_, true);
    set_dtype(device_, dtype);
    at::autocast::increment_nesting();
  }
  ~DeviceAutocastGuard() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_enabled(device_, prev_enabled_);
    set_dtype(device_, prev_dtype_);
  }
  DeviceAutocastGuard(const DeviceAutocastGuard&) = delete;
  DeviceAutocastGuard& operator=(const DeviceAutocastGuard&) = delete;

  static bool is_enabled(c10::DeviceType d) {
#if VDF_TORCH_AT_LEAST(2, 4)
    return at::autocast::is_autocast_enabled(d);
#else
    return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
  }

 private:
  static void set_enabled(c10::DeviceType d, bool on) {
#if VDF_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_enabled(d, on);
#else
    if (d == c10::DeviceType::CPU) at::autocast::set_cpu_enabled(on); else at::autocast::set_enabled(on);
#endif
  }
  static at::ScalarType get_dtype(c10::DeviceType d) {
#if VDF_TORCH_AT_LEAST(2, 4)
    return at::autocast::get_autocast_dtype(d);
#else
    return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
  }
  static void set_dtype(c10::DeviceType d, at::ScalarType t) {
#if VDF_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_dtype(d, t);
#else
    if (d == c10::DeviceType::CPU) at::autocast::set_autocast_cpu_dtype(t); else at::autocast::set_autocast_gpu_dtype(t);
#endif
  }

  c10::DeviceType device_;
  bool enabled_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

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
