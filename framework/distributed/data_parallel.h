// DataParallel: what a trainer needs from framework/distributed in one object.
//   DataParallel dp(cfg.distributed, cfg.run.device);     // rendezvous (no-op for one process)
//   dp.attach(*model, resolved_config_yaml);               // consistency check, broadcast, gradient hooks
//   ... loss.backward(); dp.after_backward(); optimizer.step();
//   dp.context().mean(loss) for metrics; dp.context().is_main() for writing.
// The trainer (train/) adapts this onto its DistHooks; framework/ knows nothing of train/.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "framework/config/schema/distributed.h"
#include "framework/distributed/context.h"
#include "framework/distributed/grad_sync.h"

namespace vdf::distributed {

class DataParallel {
 public:
  DataParallel(const config::DistributedConfig& cfg, const std::string& device);
  explicit DataParallel(std::shared_ptr<Context> ctx, const config::DistributedConfig& cfg = {});

  // Checks that every rank runs the same config and model (when distributed.check_consistency), then
  // copies rank 0's parameters and buffers to all ranks and installs the gradient hooks. Call once,
  // after the model is built and any checkpoint is loaded.
  void attach(torch::nn::Module& model, const std::string& resolved_config);
  // After loss.backward(): gradients averaged over ranks in param.grad.
  void after_backward();

  Context& context() { return *ctx_; }
  const config::DistributedConfig& config() const { return cfg_; }
  std::shared_ptr<Context> shared_context() { return ctx_; }
  GradientSynchronizer* synchronizer() { return sync_.get(); }

 private:
  std::shared_ptr<Context> ctx_;
  config::DistributedConfig cfg_;
  std::unique_ptr<GradientSynchronizer> sync_;
};

}  // namespace vdf::distributed
