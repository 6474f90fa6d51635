#include "train/data_parallel.h"

#include <set>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/distributed/consistency.h"
#include "framework/distributed/sharded.h"
#include "framework/distributed/ulysses.h"
#include "data/dataset.h"

namespace vdf::train {

std::shared_ptr<distributed::DataParallel> start_data_parallel(const config::DistributedConfig& cfg,
                                                               const std::string& device) {
  auto dp = std::make_shared<distributed::DataParallel>(cfg, device);
  distributed::Context& ctx = dp->context();
  log::set_rank(ctx.rank(), ctx.world_size());
  if (ctx.distributed())
    VDF_INFO("data parallel: rank {} of {} ({} backend, device {})", ctx.rank(), ctx.world_size(), ctx.backend(),
             ctx.device().str());
  return dp;
}

std::string agree_on_run_name(distributed::DataParallel& dp, const std::string& name) {
  if (!dp.context().distributed()) return name;
  return distributed::agree_on_string(dp.context(), "run.name", name);
}

namespace {

// zero2 / zero3: the ShardedDataParallel is created with the optimizer (the trainer asks for the
// optimizer's parameters before anything else) and broadcast once the weights are final.
struct ShardedHookState {
  std::shared_ptr<distributed::DataParallel> dp;
  std::string resolved_yaml;
  std::unique_ptr<distributed::ShardedDataParallel> sharded;
  bool checked = false;
};

void add_sharded_hooks(DistHooks& hooks, std::shared_ptr<distributed::DataParallel> dp,
                       const std::string& resolved_yaml) {
  auto st = std::make_shared<ShardedHookState>();
  st->dp = dp;
  st->resolved_yaml = resolved_yaml;
  hooks.sharded_optimizer = true;
  hooks.optimizer_parameters = [st](torch::nn::Module& m, std::vector<NamedParameter> full) {
    VDF_CHECK(!st->sharded, "sharded data parallel: optimizer parameters requested twice");
    st->sharded = std::make_unique<distributed::ShardedDataParallel>(
        st->dp->shared_context(), m, st->dp->config().strategy, st->dp->config().comm_dtype);
    std::map<std::string, bool> decay;
    for (const auto& p : full) decay[p.name] = p.decay;
    std::vector<NamedParameter> pieces;
    for (const auto& piece : st->sharded->pieces()) {
      auto it = decay.find(piece.param);
      VDF_CHECK(it != decay.end(), "sharded data parallel: piece of unknown parameter '{}'", piece.param);
      pieces.push_back({piece.name, piece.master, it->second});
    }
    return pieces;
  };
  hooks.broadcast_parameters = [st](torch::nn::Module& m) {
    VDF_CHECK(st->sharded, "sharded data parallel: broadcast before the optimizer was built");
    distributed::Context& ctx = st->dp->context();
    if (!st->checked && st->dp->config().check_consistency && ctx.distributed()) {
      st->sharded->gather_all();
      std::vector<std::pair<std::string, torch::Tensor>> named;
      for (const auto& p : m.named_parameters()) named.emplace_back(p.key(), p.value());
      for (const auto& b : m.named_buffers()) named.emplace_back("buffer:" + b.key(), b.value());
      distributed::check_consistency(ctx, distributed::fingerprint(st->resolved_yaml, named));
    }
    st->checked = true;
    st->sharded->broadcast_parameters(m.buffers());
  };
  hooks.after_backward = [st] { st->sharded->after_backward(); };
  hooks.combine_grad_norm = [st](double local) { return st->sharded->combine_grad_norm(local); };
  hooks.after_optimizer_step = [st] { st->sharded->after_optimizer_step(); };
  hooks.gather_parameters = [st] { st->sharded->gather_all(); };
  hooks.release_parameters = [st] { st->sharded->release(); };
}

}  // namespace

DistHooks data_parallel_hooks(std::shared_ptr<distributed::DataParallel> dp, const std::string& resolved_yaml) {
  DistHooks hooks;
  distributed::Context& ctx = dp->context();
  hooks.rank = ctx.rank();
  hooks.world_size = ctx.world_size();
  hooks.sequence_parallel = dp->config().sequence_parallel;
  const bool sharded = dp->config().strategy != config::DistStrategy::ddp;
  if (!ctx.distributed() && !sharded) return hooks;
  if (ctx.distributed()) {
    hooks.reduce_sum = [dp](double v) { return dp->context().sum(v); };
    hooks.reduce_max = [dp](double v) { return dp->context().max(v); };
    hooks.barrier = [dp] { dp->context().barrier(); };
    auto uses = std::make_shared<int>(0);
    hooks.agree = [dp, uses](const std::string& v) {
      return distributed::agree_on_string(dp->context(), "trainer." + std::to_string((*uses)++), v);
    };
  }
  if (sharded) {
    add_sharded_hooks(hooks, dp, resolved_yaml);
    return hooks;
  }
  hooks.broadcast_parameters = [dp, resolved_yaml](torch::nn::Module& m) {
    if (!dp->synchronizer()) {
      dp->attach(m, resolved_yaml);
    } else {
      dp->synchronizer()->broadcast_parameters(m.buffers());
    }
  };
  hooks.after_backward = [dp] { dp->after_backward(); };
  return hooks;
}

void attach_sequence_parallel(distributed::DataParallel& dp, TrainTask& train_task,
                              const data::LatentDataset& dataset) {
  const int P = dp.config().sequence_parallel;
  if (P <= 1) return;
  auto* dit_task = dynamic_cast<DitTask*>(&train_task);
  VDF_CHECK(dit_task != nullptr, "distributed.sequence_parallel {} is implemented for model.family dit only", P);
  DitTask& task = *dit_task;
  const int world = dp.context().world_size();
  VDF_CHECK(P == world, "distributed.sequence_parallel {} must equal the world size {}: one sequence group "
            "spanning the job is what is implemented (data parallel across groups needs process sub-groups)",
            P, world);
  const config::DitConfig& m = task.dit()->config();
  VDF_CHECK(m.heads % P == 0, "distributed.sequence_parallel {} must divide model.heads {}", P, m.heads);
  // Every bucket's token count must split evenly over the group (checked before step 1).
  std::set<std::string> buckets;
  for (int64_t i = 0; i < dataset.size(); ++i) buckets.insert(dataset.bucket_of(i));
  for (const auto& b : buckets) {
    const auto thw = data::parse_bucket_key(b);
    const int64_t tokens = dit_tokens({m.in_channels, thw[0], thw[1], thw[2]}, m.patch);
    VDF_CHECK(tokens % P == 0, "distributed.sequence_parallel {}: bucket {} has {} tokens per sample (patch {}x{}x{}), "
              "not divisible by {}", P, b, tokens, m.patch[0], m.patch[1], m.patch[2], P);
  }
  task.dit()->set_sequence_parallel(std::make_shared<distributed::UlyssesSequenceParallel>(dp.shared_context()));
  VDF_INFO("sequence parallel: {} ranks per sample (Ulysses all-to-all over {} heads)", P, m.heads);
}

}  // namespace vdf::train
