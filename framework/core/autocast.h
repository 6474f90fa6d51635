// Autocast (bf16/fp16 mixed precision) scopes. Autocast state is thread-local: gradient checkpointing
// records it in forward and restores it while recomputing in backward (which may run on another thread
// or outside the autocast region), and the trainer opens one scope around the loss.
#pragma once
#include <ATen/autocast_mode.h>

namespace vdf::autocast {

struct State {
  bool enabled = false;
  at::ScalarType dtype = at::kBFloat16;
};

// The CUDA autocast state of this thread.
inline State cuda_state() {
  return {at::autocast::is_autocast_enabled(at::kCUDA), at::autocast::get_autocast_dtype(at::kCUDA)};
}

// Sets autocast on `device` to (enabled, dtype) for a scope and restores the previous state on exit,
// clearing the cast cache when the outermost enabled scope closes.
class Guard {
 public:
  Guard(c10::DeviceType device, State state) : device_(device), previous_{at::autocast::is_autocast_enabled(device),
                                                                          at::autocast::get_autocast_dtype(device)} {
    at::autocast::set_autocast_enabled(device_, state.enabled);
    at::autocast::set_autocast_dtype(device_, state.dtype);
    entered_ = state.enabled;
    if (entered_) at::autocast::increment_nesting();
  }
  ~Guard() {
    if (entered_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, previous_.enabled);
    at::autocast::set_autocast_dtype(device_, previous_.dtype);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  c10::DeviceType device_;
  State previous_;
  bool entered_ = false;
};

}  // namespace vdf::autocast
