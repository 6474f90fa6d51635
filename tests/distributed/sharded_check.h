// A tiny DiT trained 3 AdamW steps plainly and through ShardedDataParallel on one rank (world size 1:
// the collectives are copies), on `device`: shared by tests/distributed (CPU) and tests/gpu (CUDA).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include "framework/distributed/context.h"
#include "framework/distributed/sharded.h"
#include "framework/models/dit/dit.h"
#include "tests/dit/dit_fixtures.h"
#include "train/adamw.h"

namespace vdf::testing {

struct ShardedCheck {
  double max_diff = 0;          // max |w_sharded - w_plain| after the steps
  double moved = 0;             // max |w_plain - w_init| (the comparison is not vacuous)
  int64_t total = 0;            // parameter elements
  int64_t resident_after_forward = 0, resident_after_backward = 0;  // ShardedDataParallel's flat elements
};

inline ShardedCheck sharded_vs_plain(config::DistStrategy strategy, torch::Device device) {
  struct Batch {
    torch::Tensor x, t, text, mask, pooled, target;
  };
  auto batch = [&](int64_t step) {
    auto gen = at::detail::createCPUGenerator(100 + step);
    Batch b{torch::randn({2, 4, 2, 8, 8}, gen), torch::rand({2}, gen), torch::randn({2, 8, 32}, gen),
            torch::ones({2, 8}, torch::kBool), torch::randn({2, 16}, gen), torch::randn({2, 4, 2, 8, 8}, gen)};
    for (auto* t : {&b.x, &b.t, &b.text, &b.mask, &b.pooled, &b.target}) *t = t->to(device);
    return b;
  };
  auto loss_of = [](dit::Dit& m, const Batch& b) {
    return torch::mse_loss(m->forward(b.x, b.t, b.text, b.mask, b.pooled), b.target);
  };
  auto make = [&] {
    dit::Dit m(tiny_dit_config());
    randomize_parameters(*m, 3);
    m->to(device);
    m->train();
    return m;
  };
  auto snapshot = [](torch::nn::Module& m) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().cpu().clone();
    return out;
  };
  const train::AdamWOptions adam{0.9, 0.999, 1e-8, 0.01};
  ShardedCheck r;
  dit::Dit plain = make();
  const auto init = snapshot(*plain);
  train::AdamW plain_opt(train::collect_parameters(*plain, {}), adam);
  for (int64_t s = 0; s < 3; ++s) {
    train::zero_gradients(plain_opt.parameters());
    loss_of(plain, batch(s)).backward();
    plain_opt.step(1e-3);
  }
  const auto want = snapshot(*plain);

  dit::Dit m = make();
  auto full = train::collect_parameters(*m, {});
  distributed::ShardedDataParallel sdp(distributed::Context::single(device), *m, strategy, config::CommDtype::float32);
  std::map<std::string, bool> decay;
  for (const auto& p : full) decay[p.name] = p.decay;
  std::vector<train::NamedParameter> pieces;
  for (const auto& piece : sdp.pieces()) pieces.push_back({piece.name, piece.master, decay.at(piece.param)});
  train::AdamW opt(pieces, adam);
  sdp.broadcast_parameters(m->buffers());
  for (const auto& p : m->parameters()) r.total += p.numel();
  for (int64_t s = 0; s < 3; ++s) {
    train::zero_gradients(opt.parameters());
    auto loss = loss_of(m, batch(s));
    r.resident_after_forward = sdp.resident_parameter_elements();
    loss.backward();
    r.resident_after_backward = sdp.resident_parameter_elements();
    sdp.after_backward();
    opt.step(1e-3);
    sdp.after_optimizer_step();
    sdp.release();
  }
  sdp.gather_all();
  for (const auto& [k, v] : snapshot(*m)) r.max_diff = std::max(r.max_diff, (v - want.at(k)).abs().max().item<double>());
  for (const auto& [k, v] : want) r.moved = std::max(r.moved, (v - init.at(k)).abs().max().item<double>());
  return r;
}

}  // namespace vdf::testing
