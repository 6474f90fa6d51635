#include "train/data_parallel.h"

#include "framework/core/log.h"
#include "framework/distributed/consistency.h"

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

DistHooks data_parallel_hooks(std::shared_ptr<distributed::DataParallel> dp, const std::string& resolved_yaml) {
  DistHooks hooks;
  distributed::Context& ctx = dp->context();
  hooks.rank = ctx.rank();
  hooks.world_size = ctx.world_size();
  if (!ctx.distributed()) return hooks;
  hooks.broadcast_parameters = [dp, resolved_yaml](torch::nn::Module& m) {
    if (!dp->synchronizer()) {
      dp->attach(m, resolved_yaml);
    } else {
      dp->synchronizer()->broadcast_parameters(m.buffers());
    }
  };
  hooks.after_backward = [dp] { dp->after_backward(); };
  hooks.reduce_sum = [dp](double v) { return dp->context().sum(v); };
  hooks.reduce_max = [dp](double v) { return dp->context().max(v); };
  hooks.barrier = [dp] { dp->context().barrier(); };
  return hooks;
}

}  // namespace vdf::train
