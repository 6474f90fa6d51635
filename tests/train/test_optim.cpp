// AdamW decay groups and parity with LibTorch's AdamW, LR schedule values, EMA math, gradient clipping.
#include <catch2/catch.hpp>

#include <cmath>

#include "app/config.h"
#include "tests/train/tiny_task.h"
#include "train/adamw.h"
#include "train/ema.h"
#include "train/lr_schedule.h"

using namespace vdf::train;

TEST_CASE("adamw: weight decay only on weight matrices", "[unit][train]") {
  vdf::testing::TinyNet net(4, 8);
  auto params = collect_parameters(*net, vdf::config::TrainConfig{}.no_decay);
  std::map<std::string, bool> decay;
  for (auto& p : params) decay[p.name] = p.decay;
  CHECK(decay.at("in.weight"));
  CHECK(decay.at("cond.weight"));
  CHECK(decay.at("out.weight"));
  CHECK_FALSE(decay.at("in.bias"));
  CHECK_FALSE(decay.at("out.bias"));
  CHECK_FALSE(decay.at("norm.weight"));
  CHECK_FALSE(decay.at("norm.bias"));
  CHECK_FALSE(decay.at("embedding.weight"));  // 2-D, but an embedding table
  CHECK(decay.size() == 9);
  CHECK(wants_weight_decay("blocks.0.attn.qkv.weight", torch::zeros({6, 2}), {"norm"}));
  CHECK_FALSE(wants_weight_decay("blocks.0.q_norm.weight", torch::zeros({6, 2}), {"norm"}));
  CHECK_FALSE(wants_weight_decay("pos_embed", torch::zeros({1, 6, 2}), {"pos_embed"}));
}

TEST_CASE("adamw: bit-identical to torch::optim::AdamW with the same decay groups", "[unit][train]") {
  torch::manual_seed(0);
  vdf::testing::TinyNet a(4, 8), b(4, 8);
  {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < a->parameters().size(); ++i) b->parameters()[i].copy_(a->parameters()[i]);
  }
  const double lr = 3e-3, wd = 0.1;
  auto pa = collect_parameters(*a, vdf::config::TrainConfig{}.no_decay);
  AdamW mine(pa, {0.9, 0.95, 1e-8, wd});
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& item : b->named_parameters())
    (wants_weight_decay(item.key(), item.value(), vdf::config::TrainConfig{}.no_decay) ? decay : no_decay)
        .push_back(item.value());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(lr).betas({0.9, 0.95}).eps(1e-8).weight_decay(wd)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(lr).betas({0.9, 0.95}).eps(1e-8).weight_decay(0)));
  torch::optim::AdamW ref(groups, torch::optim::AdamWOptions(lr));
  for (int step = 0; step < 5; ++step) {
    auto x = torch::randn({2, 4, 1, 3, 3});
    auto t = torch::rand({2});
    auto pooled = torch::randn({2, 8});
    zero_gradients(pa);
    a->forward(x, t, pooled).square().mean().backward();
    mine.step(lr);
    ref.zero_grad();
    b->forward(x, t, pooled).square().mean().backward();
    ref.step();
  }
  for (size_t i = 0; i < a->parameters().size(); ++i) CHECK(torch::equal(a->parameters()[i], b->parameters()[i]));
  CHECK(mine.step_count() == 5);
  // State round trip.
  AdamW other(collect_parameters(*a, {}), {0.9, 0.95, 1e-8, wd});
  other.load_state(mine.state_tensors(), mine.step_count());
  for (auto& [k, v] : mine.state_tensors()) CHECK(torch::equal(other.state_tensors().at(k), v));
  auto bad = mine.state_tensors();
  bad["exp_avg.nope"] = torch::zeros({1});
  CHECK_THROWS_WITH(other.load_state(bad, 1), Catch::Contains("exp_avg.nope"));
}

TEST_CASE("gradient norm and clipping match torch::nn::utils::clip_grad_norm_", "[unit][train]") {
  torch::manual_seed(1);
  vdf::testing::TinyNet a(4, 8), b(4, 8);
  {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < a->parameters().size(); ++i) b->parameters()[i].copy_(a->parameters()[i]);
  }
  auto x = torch::randn({2, 4, 1, 3, 3}) * 10;
  auto t = torch::rand({2});
  auto pooled = torch::randn({2, 8});
  a->forward(x, t, pooled).square().mean().backward();
  b->forward(x, t, pooled).square().mean().backward();
  auto pa = collect_parameters(*a, {});
  const double norm = global_grad_norm(pa);
  const double ref = torch::nn::utils::clip_grad_norm_(b->parameters(), 0.5);
  CHECK(norm == Approx(ref).epsilon(1e-6));
  clip_gradients(pa, norm, 0.5);
  for (size_t i = 0; i < a->parameters().size(); ++i)
    CHECK(torch::allclose(a->parameters()[i].grad(), b->parameters()[i].grad(), 1e-6, 1e-7));
  CHECK(global_grad_norm(pa) == Approx(0.5).epsilon(1e-4));
  a->parameters()[0].mutable_grad()[0][0] = std::nan("");
  CHECK(std::isnan(global_grad_norm(pa)));
}

TEST_CASE("lr schedule: warmup, cosine and constant values", "[unit][train]") {
  vdf::config::TrainConfig c;
  c.lr = 1e-3;
  c.steps = 110;
  c.warmup_steps = 10;
  c.lr_schedule = vdf::config::LrSchedule::cosine;
  c.min_lr_ratio = 0.1;
  CHECK(learning_rate(c, 1) == Approx(1e-4));
  CHECK(learning_rate(c, 5) == Approx(5e-4));
  CHECK(learning_rate(c, 10) == Approx(1e-3));
  CHECK(learning_rate(c, 60) == Approx(1e-4 + 0.9e-3 * 0.5));  // halfway: cos = 0
  CHECK(learning_rate(c, 110) == Approx(1e-4));
  CHECK(learning_rate(c, 200) == Approx(1e-4));  // past the end: the floor
  CHECK(learning_rate(c, 35) == Approx(1e-4 + 0.9e-3 * 0.5 * (1 + std::cos(M_PI * 0.25))));
  c.lr_schedule = vdf::config::LrSchedule::constant;
  CHECK(learning_rate(c, 3) == Approx(3e-4));
  CHECK(learning_rate(c, 50) == Approx(1e-3));
  c.warmup_steps = 0;
  CHECK(learning_rate(c, 1) == Approx(1e-3));
}

TEST_CASE("ema: copies before start, then decay * ema + (1 - decay) * w", "[unit][train]") {
  torch::manual_seed(2);
  vdf::testing::TinyNet net(4, 8);
  Ema ema(*net, 0.9, 2);
  auto w = [&] { return net->out->weight.detach().clone(); };
  auto bump = [&](double v) {
    torch::NoGradGuard ng;
    net->out->weight.add_(v);
  };
  bump(1.0);
  ema.update(*net, 1);  // step 1 <= start: copy
  CHECK(torch::equal(ema.tensors().at("out.weight"), w()));
  bump(1.0);
  ema.update(*net, 2);  // still a copy
  auto e2 = w();
  CHECK(torch::equal(ema.tensors().at("out.weight"), e2));
  bump(2.0);
  ema.update(*net, 3);
  CHECK(torch::allclose(ema.tensors().at("out.weight"), 0.9 * e2 + 0.1 * w(), 1e-6, 1e-6));
  CHECK(ema.tensors().size() == net->named_parameters().size() + net->named_buffers().size());
  auto bad = ema.tensors();
  bad.erase("out.weight");
  CHECK_THROWS_WITH(ema.load(bad), Catch::Contains("missing tensor 'out.weight'"));
}
