#include "framework/distributed/grad_sync.h"

#include <torch/csrc/autograd/function_hook.h>

#include <chrono>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::distributed {

struct GradientSynchronizer::Bucket {
  torch::Tensor flat;
  std::vector<int> params;
  std::vector<int64_t> offsets;
  std::vector<bool> ready;
  size_t pending = 0;
  bool launched = false;
  PendingWork work;
};

namespace {
struct ReadyHook : torch::autograd::FunctionPostHook {
  explicit ReadyHook(std::function<void()> fn) : fn_(std::move(fn)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    fn_();
    return outputs;
  }
  std::function<void()> fn_;
};
}  // namespace

GradientSynchronizer::GradientSynchronizer(std::shared_ptr<Context> ctx, std::vector<torch::Tensor> params,
                                           double bucket_mb)
    : ctx_(std::move(ctx)) {
  VDF_CHECK(ctx_ != nullptr, "GradientSynchronizer: no distributed context");
  VDF_CHECK(bucket_mb > 0, "GradientSynchronizer: bucket size {} MiB must be positive", bucket_mb);
  for (auto& p : params)
    if (p.requires_grad()) params_.push_back(p);
  const int64_t cap = static_cast<int64_t>(bucket_mb * 1024.0 * 1024.0);
  bucket_of_.assign(params_.size(), -1);
  // Reverse registration order; a new bucket when full or when dtype/device changes.
  std::vector<int> current;
  int64_t current_bytes = 0;
  auto close = [&] {
    if (current.empty()) return;
    bucket_params_.push_back(current);
    current.clear();
    current_bytes = 0;
  };
  for (int i = static_cast<int>(params_.size()) - 1; i >= 0; --i) {
    const auto& p = params_[i];
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    if (!current.empty()) {
      const auto& q = params_[current.front()];
      if (q.scalar_type() != p.scalar_type() || q.device() != p.device() || current_bytes + bytes > cap) close();
    }
    current.push_back(i);
    current_bytes += bytes;
  }
  close();
  for (size_t b = 0; b < bucket_params_.size(); ++b) {
    auto bucket = std::make_unique<Bucket>();
    bucket->params = bucket_params_[b];
    int64_t n = 0;
    for (int i : bucket->params) {
      bucket->offsets.push_back(n);
      n += params_[i].numel();
      bucket_of_[i] = static_cast<int>(b);
    }
    const auto& first = params_[bucket->params.front()];
    bucket->flat = torch::zeros({n}, first.options().requires_grad(false));
    bucket->ready.assign(bucket->params.size(), false);
    bucket->pending = bucket->params.size();
    buckets_.push_back(std::move(bucket));
  }
  if (!ctx_->distributed()) return;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto acc = torch::autograd::impl::grad_accumulator(params_[i]);
    VDF_CHECK(acc != nullptr, "GradientSynchronizer: parameter {} is not a leaf tensor", i);
    const int index = static_cast<int>(i);
    const uintptr_t key = acc->add_post_hook(std::make_unique<ReadyHook>([this, index] { on_grad_ready(index); }));
    hooks_.emplace_back(acc.get(), key);
    accumulators_.push_back(std::move(acc));
  }
}

GradientSynchronizer::~GradientSynchronizer() {
  for (auto& [node, key] : hooks_) node->del_post_hook(key);
}

void GradientSynchronizer::broadcast_parameters(const std::vector<torch::Tensor>& extra) {
  if (!ctx_->distributed()) return;
  torch::NoGradGuard no_grad;
  // One flat broadcast per bucket (same layout on every rank), then the extra tensors one by one.
  for (auto& b : buckets_) {
    for (size_t k = 0; k < b->params.size(); ++k) {
      const auto& p = params_[b->params[k]];
      b->flat.narrow(0, b->offsets[k], p.numel()).copy_(p.detach().reshape(-1));
    }
    ctx_->broadcast(b->flat, 0);
    for (size_t k = 0; k < b->params.size(); ++k) {
      auto& p = params_[b->params[k]];
      p.detach().copy_(b->flat.narrow(0, b->offsets[k], p.numel()).view(p.sizes()));
    }
  }
  for (auto t : extra) {
    auto tmp = t.detach().contiguous().clone();
    ctx_->broadcast(tmp, 0);
    t.detach().copy_(tmp);
  }
}

void GradientSynchronizer::copy_into_bucket(Bucket& b, int param_index) {
  const size_t k = static_cast<size_t>(
      std::find(b.params.begin(), b.params.end(), param_index) - b.params.begin());
  const auto& p = params_[param_index];
  auto slice = b.flat.narrow(0, b.offsets[k], p.numel());
  const auto& g = p.grad();
  if (g.defined()) {
    slice.copy_(g.detach().reshape(-1));
  } else {
    slice.zero_();
  }
}

void GradientSynchronizer::on_grad_ready(int param_index) {
  if (!sync_ || !overlap_) return;
  torch::NoGradGuard no_grad;
  std::lock_guard<std::mutex> lock(mutex_);
  Bucket& b = *buckets_[bucket_of_[param_index]];
  if (b.launched) return;
  const size_t k = static_cast<size_t>(std::find(b.params.begin(), b.params.end(), param_index) - b.params.begin());
  if (b.ready[k]) return;
  b.ready[k] = true;
  copy_into_bucket(b, param_index);
  --b.pending;
  launch_ready_buckets_locked(false);
}

void GradientSynchronizer::launch_ready_buckets_locked(bool force) {
  while (next_bucket_ < buckets_.size()) {
    Bucket& b = *buckets_[next_bucket_];
    if (b.pending > 0 && !force) break;
    if (force) {
      for (size_t k = 0; k < b.params.size(); ++k)
        if (!b.ready[k]) copy_into_bucket(b, b.params[k]);
    }
    b.flat.div_(ctx_->world_size());
    b.work = ctx_->all_reduce_sum_async(b.flat);
    b.launched = true;
    if (force) ++stats_.buckets_launched_in_finish;
    else ++stats_.buckets_launched_in_backward;
    ++next_bucket_;
  }
}

void GradientSynchronizer::finish() {
  if (!ctx_->distributed() || !sync_) return;
  torch::NoGradGuard no_grad;
  const auto t0 = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  // "This rank reached the gradient sync of step N": names the ranks that fell behind if a wait fails.
  ctx_->report_progress(stats_.steps + 1);
  launch_ready_buckets_locked(true);
  for (auto& bp : buckets_) {
    Bucket& b = *bp;
    b.work.wait();
    for (size_t k = 0; k < b.params.size(); ++k) {
      auto& p = params_[b.params[k]];
      auto slice = b.flat.narrow(0, b.offsets[k], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(slice);
      } else {
        p.mutable_grad() = slice.clone();
      }
      b.ready[k] = false;
    }
    b.pending = b.params.size();
    b.launched = false;
  }
  next_bucket_ = 0;
  ++stats_.steps;
  stats_.finish_wait_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

uint64_t GradientSynchronizer::layout_hash() const {
  std::string desc;
  for (const auto& b : bucket_params_) {
    desc += "[";
    for (int i : b) desc += fmt::format("{}:{}:{},", i, params_[i].numel(), c10::toString(params_[i].scalar_type()));
    desc += "]";
  }
  return fnv1a64(desc);
}

}  // namespace vdf::distributed
