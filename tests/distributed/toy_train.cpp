#include "tests/distributed/toy_train.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "framework/distributed/consistency.h"
#include "framework/distributed/grad_sync.h"

namespace vdf::testing {

ToyResult toy_train(const std::shared_ptr<distributed::Context>& ctx, const ToyOptions& o) {
  torch::manual_seed(7);
  torch::nn::Sequential model(torch::nn::Linear(8, 32), torch::nn::Tanh(), torch::nn::Linear(32, 16),
                              torch::nn::Tanh(), torch::nn::Linear(16, 4));
  torch::manual_seed(123);
  const int64_t n = 64;
  auto x = torch::randn({n, 8});
  auto y = torch::sin(x.matmul(torch::randn({8, 4})));

  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model->named_parameters()) named.emplace_back(p.key(), p.value());
  if (o.perturb) {  // no consistency check (it would reject the perturbed weights): broadcast must fix them
    torch::NoGradGuard g;
    if (ctx->rank() != 0)
      for (auto& p : model->parameters()) p.add_(0.5);
  } else {
    distributed::check_consistency(*ctx, distributed::fingerprint(o.config_text, named));
  }
  distributed::GradientSynchronizer sync(ctx, model->parameters(), o.bucket_mb);
  sync.broadcast_parameters();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-2));

  ToyResult result;
  result.buckets = static_cast<int64_t>(sync.buckets().size());
  for (int step = 0; step < o.steps; ++step) {
    if (step == o.die_step && ctx->rank() == o.die_rank) ::kill(::getpid(), SIGKILL);
    if (step == o.die_step && ctx->rank() == o.hang_rank) std::this_thread::sleep_for(std::chrono::hours(1));
    if (o.step_sleep_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(o.step_sleep_s));
    const int64_t start = (step * o.global_batch) % n;
    auto [lo, hi] = distributed::batch_slice(o.global_batch, ctx->rank(), ctx->world_size());
    auto xb = x.narrow(0, start + lo, hi - lo);
    auto yb = y.narrow(0, start + lo, hi - lo);
    opt.zero_grad();
    auto loss = torch::mse_loss(model->forward(xb), yb);
    loss.backward();
    sync.finish();
    opt.step();
    result.losses.push_back(ctx->mean(loss.item<double>()));
  }
  result.launched_in_backward = sync.stats().buckets_launched_in_backward;
  std::vector<torch::Tensor> flat;
  for (const auto& p : model->parameters()) flat.push_back(p.detach().reshape(-1));
  result.weights = torch::cat(flat);
  return result;
}

}  // namespace vdf::testing
