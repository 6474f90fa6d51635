#include "framework/distributed/context.h"

// c10d: only this file includes it (its headers, Gloo's and NCCL's, are slow to compile). USE_C10D_GLOO /
// USE_C10D_NCCL come from the build (CMakeLists.txt).
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#ifdef VDF_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

#include "framework/core/error.h"
#include "framework/core/log.h"

namespace vdf::distributed {

struct Context::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> pg;
};

struct PendingWork::Impl {
  c10::intrusive_ptr<c10d::Work> work;
  Context* ctx = nullptr;
  std::string op;
  std::chrono::steady_clock::time_point started;
  std::function<void()> on_done;
};

torch::Device device_for_local_rank(const std::string& device, int local_rank) {
  if (device == "cpu") return torch::kCPU;
  if (device == "auto" && !torch::cuda::is_available()) return torch::kCPU;
  if (device == "auto" || device == "cuda") {
    // One GPU per local rank. When the scheduler binds one GPU per task (CUDA_VISIBLE_DEVICES with one
    // entry, e.g. srun --gpus-per-task=1), that GPU is cuda:0 in every task.
    const int count = static_cast<int>(torch::cuda::device_count());
    if (count == 1) return torch::Device(torch::kCUDA, 0);
    VDF_CHECK(local_rank < count, "local rank {} needs GPU cuda:{}, but this node shows {} GPUs", local_rank,
              local_rank, count);
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
  }
  return torch::Device(device);  // cuda:N
}

std::shared_ptr<Context> Context::single(torch::Device device) {
  std::shared_ptr<Context> ctx(new Context());
  ctx->device_ = device;
  ctx->impl_ = std::make_unique<Impl>();
  return ctx;
}

std::shared_ptr<Context> Context::init(const config::DistributedConfig& cfg, const std::string& device) {
  return init(launch_env(), cfg, device);
}

std::shared_ptr<Context> Context::init(const LaunchEnv& env_in, const config::DistributedConfig& cfg,
                                       const std::string& device) {
  LaunchEnv env = env_in;
  if (!cfg.master_addr.empty()) env.master_addr = cfg.master_addr;
  if (cfg.master_port > 0) env.master_port = cfg.master_port;
  std::shared_ptr<Context> ctx(new Context());
  ctx->env_ = env;
  ctx->impl_ = std::make_unique<Impl>();
  ctx->timeout_ = std::chrono::milliseconds(static_cast<int64_t>(cfg.timeout_s * 1000.0));
  ctx->device_ = device_for_local_rank(device, env.local_rank);
  if (!env.distributed()) return ctx;

  std::string backend = config::enum_name(cfg.backend);
  if (cfg.backend == config::DistBackend::automatic) backend = ctx->device_.is_cuda() ? "nccl" : "gloo";
  if (backend == "nccl" && !ctx->device_.is_cuda())
    fail("distributed.backend 'nccl' needs a CUDA device, but this rank runs on {}", ctx->device_.str());
  ctx->backend_ = backend;
  log::set_rank(env.rank, env.world_size);

  const std::string where = fmt::format("rendezvous at {}:{} (rank {} of {}, timeout {} s)", env.master_addr,
                                        env.master_port, env.rank, env.world_size, cfg.timeout_s);
  with_context(where, [&] {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<uint16_t>(env.master_port);
    opts.isServer = env.rank == 0;
    opts.numWorkers = static_cast<size_t>(env.world_size);
    opts.waitWorkers = true;
    opts.timeout = ctx->timeout_;
    ctx->impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
    if (backend == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(ctx->timeout_);
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
        std::string names = ifname;
        size_t start = 0;
        while (start <= names.size()) {
          size_t comma = names.find(',', start);
          if (comma == std::string::npos) comma = names.size();
          o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(names.substr(start, comma - start)));
          start = comma + 1;
        }
      } else {
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      ctx->impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(ctx->impl_->store, env.rank, env.world_size, o);
    } else {
#ifdef VDF_CUDA
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(ctx->device_.index()));
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = ctx->timeout_;
      ctx->impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(ctx->impl_->store, env.rank, env.world_size, o);
#else
      fail("backend 'nccl' needs a CUDA build of vdf (-DVDF_CUDA=ON)");
#endif
    }
  });
  VDF_INFO("distributed: rank {}/{} (local {}/{}) backend {} device {} via {} ({}:{})", env.rank, env.world_size,
           env.local_rank, env.local_world_size, backend, ctx->device_.str(), env.source, env.master_addr,
           env.master_port);
  return ctx;
}

Context::~Context() = default;

std::string Context::progress_summary() {
  if (!impl_ || !impl_->store) return "";
  try {
    std::vector<std::string> parts;
    int64_t best = -1;
    std::vector<int64_t> steps(env_.world_size, -1);
    for (int r = 0; r < env_.world_size; ++r) {
      const std::string key = "vdf/progress/" + std::to_string(r);
      if (!impl_->store->check({key})) continue;
      auto bytes = impl_->store->get(key);
      steps[r] = std::stoll(std::string(bytes.begin(), bytes.end()));
      best = std::max(best, steps[r]);
    }
    std::vector<std::string> behind;
    for (int r = 0; r < env_.world_size; ++r)
      if (steps[r] < best) behind.push_back(fmt::format("rank {} (last reached step {})", r, steps[r]));
    if (best < 0) return "";
    if (behind.empty()) return fmt::format("all ranks reached step {}", best);
    return fmt::format("fell behind: {}; others reached step {}", fmt::join(behind, ", "), best);
  } catch (const std::exception& e) {
    return fmt::format("the store at {}:{} (hosted by rank 0) is unreachable: rank 0 may have died",
                       env_.master_addr, env_.master_port);
  }
}

void Context::fail_collective(const std::string& op, const std::string& what,
                              std::chrono::steady_clock::time_point started) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string progress = progress_summary();
  fail("rank {} of {}: collective {} failed after {:.1f} s (timeout {} s): a peer rank crashed or hangs{}{} "
       "[{}]",
       env_.rank, env_.world_size, op, secs, timeout_.count() / 1000.0, progress.empty() ? "" : "; ", progress,
       what);
}

void PendingWork::wait() {
  if (!impl_) return;
  auto impl = std::move(impl_);
  try {
    impl->work->wait();
  } catch (const std::exception& e) {
    impl->ctx->fail_collective(impl->op, e.what(), impl->started);
  }
  if (impl->on_done) impl->on_done();
}

PendingWork Context::launch(const std::string& op, const std::function<void*()>& start_fn) {
  PendingWork out;
  auto impl = std::make_shared<PendingWork::Impl>();
  impl->ctx = this;
  impl->op = op;
  impl->started = std::chrono::steady_clock::now();
  try {
    auto* raw = static_cast<c10::intrusive_ptr<c10d::Work>*>(start_fn());
    impl->work = std::move(*raw);
    delete raw;
  } catch (const std::exception& e) {
    fail_collective(op, e.what(), impl->started);
  }
  out.impl_ = std::move(impl);
  return out;
}

namespace {
// Boxes a Work pointer so that context.h need not name c10d types.
void* box(c10::intrusive_ptr<c10d::Work> w) { return new c10::intrusive_ptr<c10d::Work>(std::move(w)); }
}  // namespace

void Context::barrier() {
  if (!distributed()) return;
  // A barrier as a one-element all-reduce: same ordering and timeout semantics as every other collective.
  auto t = torch::zeros({1}, torch::TensorOptions().device(device_));
  all_reduce_sum(t);
}

void Context::broadcast(torch::Tensor& tensor, int root) {
  if (!distributed()) return;
  std::vector<torch::Tensor> v{tensor};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.timeout = timeout_;
  launch("broadcast", [&] { return box(impl_->pg->broadcast(v, o)); }).wait();
}

PendingWork Context::all_reduce_sum_async(torch::Tensor& tensor) {
  if (!distributed()) return {};
  std::vector<torch::Tensor> v{tensor};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = timeout_;
  return launch("all_reduce", [&] { return box(impl_->pg->allreduce(v, o)); });
}

void Context::all_reduce_sum(torch::Tensor& tensor) { all_reduce_sum_async(tensor).wait(); }

void Context::all_reduce_mean(torch::Tensor& tensor) {
  if (!distributed()) return;
  all_reduce_sum(tensor);
  tensor.div_(env_.world_size);
}

std::vector<torch::Tensor> Context::all_gather(const torch::Tensor& tensor) {
  if (!distributed()) return {tensor.clone()};
  std::vector<torch::Tensor> in{tensor.contiguous()};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < env_.world_size; ++r) out[0].push_back(torch::empty_like(in[0]));
  c10d::AllgatherOptions o;
  o.timeout = timeout_;
  launch("all_gather", [&] { return box(impl_->pg->allgather(out, in, o)); }).wait();
  return out[0];
}

void Context::all_gather_into(torch::Tensor& full, const torch::Tensor& shard) {
  VDF_CHECK(full.is_contiguous() && shard.is_contiguous() && full.numel() == shard.numel() * env_.world_size,
            "all_gather_into: full has {} elements, shard {} x world size {}", full.numel(), shard.numel(),
            env_.world_size);
  if (!distributed()) {
    full.copy_(shard);
    return;
  }
  at::Tensor in = shard;
  c10d::AllgatherOptions o;
  o.timeout = timeout_;
  launch("all_gather", [&] { return box(impl_->pg->_allgather_base(full, in, o)); }).wait();
}

void Context::reduce_scatter_sum(torch::Tensor& shard, const torch::Tensor& full) {
  VDF_CHECK(full.is_contiguous() && shard.is_contiguous() && full.numel() == shard.numel() * env_.world_size,
            "reduce_scatter: full has {} elements, shard {} x world size {}", full.numel(), shard.numel(),
            env_.world_size);
  if (!distributed()) {
    shard.copy_(full);
    return;
  }
  at::Tensor in = full;
  c10d::ReduceScatterOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = timeout_;
  launch("reduce_scatter", [&] { return box(impl_->pg->_reduce_scatter_base(shard, in, o)); }).wait();
}

void Context::all_to_all(torch::Tensor& out, const torch::Tensor& in) {
  VDF_CHECK(in.is_contiguous() && out.is_contiguous() && in.sizes() == out.sizes() && in.dim() >= 1 &&
                in.size(0) == env_.world_size,
            "all_to_all: tensors must be contiguous, equal-shaped, dim 0 = world size {}, got {} and {}",
            env_.world_size, c10::str(in.sizes()), c10::str(out.sizes()));
  if (!distributed()) {
    out.copy_(in);
    return;
  }
  at::Tensor src = in;
  std::vector<int64_t> even;  // empty split lists: equal chunks along dim 0
  c10d::AllToAllOptions o;
  o.timeout = timeout_;
  launch("all_to_all", [&] { return box(impl_->pg->alltoall_base(out, src, even, even, o)); }).wait();
}

double Context::sum(double value) {
  if (!distributed()) return value;
  auto t = torch::full({1}, value, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  all_reduce_sum(t);
  return t.item<double>();
}

double Context::mean(double value) { return sum(value) / env_.world_size; }

double Context::max(double value) {
  if (!distributed()) return value;
  auto t = torch::full({1}, value, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  auto all = torch::stack(all_gather(t));
  return all.max().item<double>();
}

std::string Context::broadcast_string(const std::string& key, const std::string& value, int root) {
  if (!distributed()) return value;
  const std::string k = "vdf/bcast/" + key;
  return with_context(fmt::format("rank {}: agreeing on '{}' through the store", env_.rank, key), [&] {
    if (env_.rank == root) {
      impl_->store->set(k, std::vector<uint8_t>(value.begin(), value.end()));
      return value;
    }
    auto bytes = impl_->store->get(k);  // waits up to the store timeout
    return std::string(bytes.begin(), bytes.end());
  });
}

void Context::report_progress(int64_t step) {
  last_step_ = step;
  if (!distributed()) return;
  const std::string s = std::to_string(step);
  impl_->store->set("vdf/progress/" + std::to_string(env_.rank), std::vector<uint8_t>(s.begin(), s.end()));
}

}  // namespace vdf::distributed
