#include "framework/distributed/data_parallel.h"

#include "framework/core/error.h"
#include "framework/distributed/consistency.h"

namespace vdf::distributed {

DataParallel::DataParallel(const config::DistributedConfig& cfg, const std::string& device)
    : ctx_(Context::init(cfg, device)), cfg_(cfg) {}

DataParallel::DataParallel(std::shared_ptr<Context> ctx, const config::DistributedConfig& cfg)
    : ctx_(std::move(ctx)), cfg_(cfg) {}

void DataParallel::attach(torch::nn::Module& model, const std::string& resolved_config) {
  VDF_CHECK(!sync_, "DataParallel::attach called twice");
  if (cfg_.check_consistency && ctx_->distributed()) {
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& p : model.named_parameters()) named.emplace_back(p.key(), p.value());
    for (const auto& b : model.named_buffers()) named.emplace_back("buffer:" + b.key(), b.value());
    check_consistency(*ctx_, fingerprint(resolved_config, named));
  }
  sync_ = std::make_unique<GradientSynchronizer>(ctx_, model.parameters(), cfg_.bucket_mb);
  sync_->broadcast_parameters(model.buffers());
}

void DataParallel::after_backward() {
  if (sync_) sync_->finish();
}

}  // namespace vdf::distributed
