// DiT: patchify, positional encodings, masks, adaLN-Zero init, checkpointing, stats, config, overfit.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/models/dit/dit.h"
#include "framework/models/dit/pos_embed.h"
#include "framework/diffusion/objective.h"
#include "tests/dit/dit_fixtures.h"

using namespace vdf;
using namespace vdf::dit;

namespace {

template <typename E>
E by_name(const std::string& name) { return config::parse_enum_or_fail<E>(name, "test case choice"); }

struct Inputs {
  torch::Tensor x, t, text, mask, pooled;
};

Inputs make_inputs(int64_t B, int64_t T, int64_t H, int64_t W, uint64_t seed, int64_t L = 8) {
  auto gen = at::detail::createCPUGenerator(seed);
  Inputs in;
  in.x = torch::randn({B, 4, T, H, W}, gen);
  in.t = torch::rand({B}, gen);
  in.text = torch::randn({B, L, 32}, gen);
  in.mask = torch::ones({B, L}, torch::kBool);
  in.pooled = torch::randn({B, 16}, gen);
  return in;
}

torch::Tensor run(Dit& m, const Inputs& in) { return m->forward(in.x, in.t, in.text, in.mask, in.pooled); }

}  // namespace

TEST_CASE("dit: patchify/unpatchify round trip for (1,2,2), (2,2,2) and 1-frame images", "[unit][dit]") {
  auto x = torch::randn({2, 3, 4, 6, 8});
  for (Patch p : {Patch{1, 2, 2}, Patch{2, 2, 2}, Patch{2, 3, 4}}) {
    auto tok = patchify(x, p);
    const Grid g = patch_grid(4, 6, 8, p);
    CHECK(tok.size(1) == g[0] * g[1] * g[2]);
    CHECK(tok.size(2) == 3 * p[0] * p[1] * p[2]);
    CHECK(torch::equal(unpatchify(tok, g, p, 3), x));
    // Token (t=1, h=0, w=1): features in (c, pt, ph, pw) order.
    const int64_t idx = 1 * g[1] * g[2] + 0 * g[2] + 1;
    auto expect = x[1].slice(1, p[0], 2 * p[0]).slice(2, 0, p[1]).slice(3, p[2], 2 * p[2]).flatten();
    CHECK(torch::equal(tok[1][idx], expect));
  }
  // An image (T = 1) with pt = 2: padded by repeating the frame.
  auto img = torch::randn({2, 3, 1, 4, 4});
  auto padded = pad_time(img, 2);
  CHECK(padded.size(2) == 2);
  CHECK(torch::equal(padded.select(2, 1), img.select(2, 0)));
  const Patch p{2, 2, 2};
  auto back = unpatchify(patchify(padded, p), patch_grid(2, 4, 4, p), p, 3).narrow(2, 0, 1);
  CHECK(torch::equal(back, img));
  CHECK_THROWS_AS(patchify(torch::randn({1, 3, 2, 5, 4}), p), vdf::Error);
}

TEST_CASE("dit: x_embedder on patchified tokens equals a Conv3d patch embedding", "[unit][dit]") {
  const Patch p{2, 2, 2};
  auto x = torch::randn({1, 4, 4, 6, 6});
  auto w = torch::randn({8, 4 * 8}), b = torch::randn({8});
  auto lin = torch::matmul(patchify(x, p), w.t()) + b;                        // [1, N, 8]
  auto conv = torch::conv3d(x, w.view({8, 4, 2, 2, 2}), b, {2, 2, 2});         // [1, 8, 2, 3, 3]
  CHECK(torch::allclose(lin, conv.flatten(2).transpose(1, 2), 1e-5, 1e-5));
}

TEST_CASE("dit: 3D RoPE equals a direct per-position rotation", "[unit][dit]") {
  const std::vector<int64_t> axes{4, 6, 6};
  const Grid g{2, 3, 4};
  const double theta = 10000.0;
  auto rope = rope_3d(axes, g, theta);
  auto q = torch::randn({1, 2, g[0] * g[1] * g[2], 16}, torch::kFloat64).to(torch::kFloat32);
  auto out = apply_rope(q, rope.cos, rope.sin);
  auto qa = q.accessor<float, 4>();
  auto oa = out.accessor<float, 4>();
  double max_err = 0;
  for (int64_t head = 0; head < 2; ++head)
    for (int64_t t = 0; t < g[0]; ++t)
      for (int64_t h = 0; h < g[1]; ++h)
        for (int64_t w = 0; w < g[2]; ++w) {
          const int64_t n = (t * g[1] + h) * g[2] + w;
          const int64_t pos[3] = {t, h, w};
          int64_t off = 0;
          for (int a = 0; a < 3; ++a) {
            for (int64_t i = 0; i < axes[a] / 2; ++i) {
              const double ang = pos[a] * std::pow(theta, -2.0 * i / axes[a]);
              const double x0 = qa[0][head][n][off + 2 * i], x1 = qa[0][head][n][off + 2 * i + 1];
              const double y0 = std::cos(ang) * x0 - std::sin(ang) * x1;
              const double y1 = std::sin(ang) * x0 + std::cos(ang) * x1;
              max_err = std::max({max_err, std::abs(y0 - oa[0][head][n][off + 2 * i]),
                                  std::abs(y1 - oa[0][head][n][off + 2 * i + 1])});
            }
            off += axes[a];
          }
        }
  CHECK(max_err < 1e-5);
  // Relative: <R(p) q, R(p') k> depends only on p - p' (tokens (0,0,0)->(1,1,1) vs (1,1,2)->(2,2,3) differ
  // by the same offset only if inside the grid; use (0,0,0)/(1,1,1) and (0,1,2)/(1,2,3)).
  auto k = torch::randn({16});
  auto qv = torch::randn({16});
  auto dot = [&](int64_t n1, int64_t n2) {
    auto a = apply_rope(qv.view({1, 16}), rope.cos[n1].view({1, 16}), rope.sin[n1].view({1, 16}));
    auto b = apply_rope(k.view({1, 16}), rope.cos[n2].view({1, 16}), rope.sin[n2].view({1, 16}));
    return (a * b).sum().item<double>();
  };
  auto id = [&](int64_t t, int64_t h, int64_t w) { return (t * g[1] + h) * g[2] + w; };
  CHECK(dot(id(0, 0, 0), id(1, 1, 1)) == Approx(dot(id(0, 1, 2), id(1, 2, 3))).margin(1e-4));
}

TEST_CASE("dit: sincos3d values", "[unit][dit]") {
  const int64_t D = 8;
  const Grid g{3, 2, 5};
  auto pe = sincos_3d(D, g);
  REQUIRE(pe.size(0) == 30);
  REQUIRE(pe.size(1) == 8);
  for (auto [t, h, w] : std::vector<std::array<int64_t, 3>>{{0, 0, 0}, {2, 1, 3}, {1, 0, 4}}) {
    const int64_t n = (t * g[1] + h) * g[2] + w;
    std::vector<double> expect(D, 0.0);
    // spatial: dims 0..3 encode h (width 4: w_i = 10000^(-i/2)), dims 4..7 encode w
    for (int i = 0; i < 2; ++i) {
      const double om = std::pow(10000.0, -i / 2.0);
      expect[i] += std::sin(h * om), expect[2 + i] += std::cos(h * om);
      expect[4 + i] += std::sin(w * om), expect[6 + i] += std::cos(w * om);
    }
    // temporal: all 8 dims (w_i = 10000^(-i/4))
    for (int i = 0; i < 4; ++i) {
      const double om = std::pow(10000.0, -i / 4.0);
      expect[i] += std::sin(t * om), expect[4 + i] += std::cos(t * om);
    }
    for (int64_t d = 0; d < D; ++d) CHECK(pe[n][d].item<double>() == Approx(expect[d]).margin(1e-6));
  }
}

TEST_CASE("dit: a fresh model outputs zeros (adaLN-Zero) and the parameter count matches dit_stats",
          "[unit][dit]") {
  for (std::string pos : {"rope3d", "sincos3d"}) {
    for (std::string att : {"full", "factorized"}) {
      auto cfg = testing::tiny_dit_config();
      cfg.pos_embed = by_name<config::PosEmbed>(pos);
      cfg.attention = by_name<config::AttentionLayout>(att);
      cfg.patch = {2, 2, 2};
      torch::manual_seed(0);
      Dit m(cfg);
      auto in = make_inputs(2, 3, 4, 6, 1);
      auto out = run(m, in);
      CHECK(out.sizes() == in.x.sizes());
      CHECK(out.abs().max().item<float>() == 0.0f);
      int64_t n = 0;
      for (auto& p : m->parameters()) n += p.numel();
      CHECK(n == dit_stats(cfg, {4, 3, 4, 6}, 8).params);
    }
  }
  auto cfg = testing::tiny_dit_config();
  cfg.learn_sigma = true;
  Dit m(cfg);
  auto in = make_inputs(1, 1, 4, 4, 2);
  CHECK(run(m, in).size(1) == 8);
}

TEST_CASE("dit: parameter names are stable checkpoint keys", "[unit][dit]") {
  Dit m(testing::tiny_dit_config());
  auto params = m->named_parameters();
  for (const char* key :
       {"x_embedder.proj.weight", "t_embedder.mlp.0.weight", "t_embedder.mlp.2.bias", "pooled_embedder.fc1.weight",
        "text_embedder.fc2.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.q_norm.weight",
        "blocks.0.attn.k_norm.weight", "blocks.0.attn.proj.bias", "blocks.1.norm2.weight", "blocks.1.norm2.bias",
        "blocks.0.cross_attn.q.weight", "blocks.0.cross_attn.kv.weight", "blocks.0.cross_attn.proj.weight",
        "blocks.0.cross_attn.q_norm.weight", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.bias",
        "blocks.0.adaLN_modulation.1.weight", "final_layer.adaLN_modulation.1.weight", "final_layer.linear.weight"})
    CHECK(params.contains(key));
}

TEST_CASE("dit: masked text tokens do not affect the output; a fully masked row is finite", "[unit][dit]") {
  auto cfg = testing::tiny_dit_config();
  Dit m(cfg);
  testing::randomize_parameters(*m, 3);
  auto in = make_inputs(2, 2, 4, 4, 4);
  in.mask.index_put_({0, torch::indexing::Slice(5)}, false);  // sample 0: 5 real tokens
  in.mask.index_put_({1}, false);                             // sample 1: null text (CFG)
  auto out = run(m, in);
  CHECK(torch::isfinite(out).all().item<bool>());
  auto in2 = in;
  in2.text = in.text.clone();
  in2.text.index_put_({0, torch::indexing::Slice(5)}, torch::randn({3, 32}) * 10);
  in2.text.index_put_({1}, torch::randn({8, 32}) * 10);
  auto out2 = run(m, in2);
  CHECK(torch::allclose(out, out2, 1e-5, 1e-6));
  // Real tokens do matter.
  auto in3 = in;
  in3.text = in.text.clone();
  in3.text.index_put_({0, 0}, torch::randn({32}) * 10);
  CHECK_FALSE(torch::allclose(run(m, in3)[0], out[0], 1e-4, 1e-5));
  // Gradients through a fully masked row are finite too.
  auto x = in.x.clone().requires_grad_(true);
  m->forward(x, in.t, in.text, in.mask, in.pooled).sum().backward();
  CHECK(torch::isfinite(x.grad()).all().item<bool>());
}

TEST_CASE("dit: factorized spatial blocks do not mix frames; full attention does", "[unit][dit]") {
  for (std::string att : {"factorized", "full"}) {
    auto cfg = testing::tiny_dit_config();
    cfg.depth = 1;  // factorized: one spatial block only
    cfg.attention = by_name<config::AttentionLayout>(att);
    Dit m(cfg);
    testing::randomize_parameters(*m, 5);
    auto in = make_inputs(1, 2, 4, 4, 6);
    auto out = run(m, in);
    auto in2 = in;
    in2.x = in.x.clone();
    in2.x.select(2, 1).add_(1.0);  // change frame 1 only
    auto out2 = run(m, in2);
    const bool frame0_same = torch::allclose(out.select(2, 0), out2.select(2, 0), 1e-5, 1e-6);
    CHECK(frame0_same == (att == "factorized"));
  }
}

TEST_CASE("dit: gradient checkpointing gives the same gradients as the plain model", "[unit][dit]") {
  for (std::string att : {"full", "factorized"}) {
    for (std::string pos : {"rope3d", "sincos3d"}) {
      auto cfg = testing::tiny_dit_config();
      cfg.attention = by_name<config::AttentionLayout>(att);
      cfg.pos_embed = by_name<config::PosEmbed>(pos);
      Dit plain(cfg);
      testing::randomize_parameters(*plain, 7);
      cfg.grad_checkpointing = true;
      Dit ckpt(cfg);
      testing::copy_parameters(*plain, *ckpt);
      auto in = make_inputs(2, 2, 4, 4, 8);
      in.mask.index_put_({1, torch::indexing::Slice(3)}, false);
      auto w = torch::randn_like(in.x);
      std::vector<torch::Tensor> text_grads;
      for (Dit* m : {&plain, &ckpt}) {
        auto text = in.text.clone().requires_grad_(true);
        auto out = (*m)->forward(in.x, in.t, text, in.mask, in.pooled);
        (out * w).sum().backward();
        text_grads.push_back(text.grad());
      }
      CHECK(torch::allclose(text_grads[0], text_grads[1], 1e-5, 1e-6));
      auto gp = plain->named_parameters();
      double max_diff = 0;
      for (auto& p : ckpt->named_parameters()) {
        REQUIRE(p.value().grad().defined());
        max_diff = std::max(max_diff, (p.value().grad() - gp[p.key()].grad()).abs().max().item<double>());
      }
      CHECK(max_diff < 1e-5);
    }
  }
}

TEST_CASE("dit: config presets, rope axes and validation errors", "[unit][dit][config]") {
  auto c = config::parse_config("model:\n  preset: xl\n  depth: 4\n");
  auto r = c.model.resolved();
  CHECK(r.hidden == 1152);
  CHECK(r.depth == 4);
  CHECK(r.heads == 16);
  CHECK(r.rope_axes == std::vector<int64_t>{8, 32, 32});
  auto b = config::parse_config("model:\n  preset: ''\n  hidden: 2048\n  depth: 2\n  heads: 16\n").model.resolved();
  CHECK(b.rope_axes == std::vector<int64_t>{16, 56, 56});
  auto err = [](const std::string& text) {
    try {
      config::parse_config(text);
    } catch (const vdf::Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  CHECK_THAT(err("model:\n  rope_axes: [4, 4, 6]\n"), Catch::Contains("model.rope_axes"));
  CHECK_THAT(err("model:\n  rope_axes: [3, 7, 6]\n"), Catch::Contains("even"));
  CHECK_THAT(err("model:\n  preset: huge\n"), Catch::Contains("model.preset"));
  CHECK_THAT(err("model:\n  heads: 5\n"), Catch::Contains("model.heads"));
  CHECK_THAT(err("model:\n  attention: sparse\n"), Catch::Contains("full or factorized"));
  CHECK_THAT(err("model:\n  patch: [1, 2]\n"), Catch::Contains("model.patch"));
  // Bad inputs throw vdf::Error, naming what is wrong.
  Dit m(testing::tiny_dit_config());
  auto in = make_inputs(1, 2, 4, 4, 9);
  CHECK_THROWS_WITH(m->forward(in.x, in.t, in.text.narrow(2, 0, 16), in.mask, in.pooled), Catch::Contains("text"));
  CHECK_THROWS_WITH(m->forward(in.x.narrow(3, 0, 3), in.t, in.text, in.mask, in.pooled),
                    Catch::Contains("not divisible"));
}

TEST_CASE("dit: stats count FLOPs analytically", "[unit][dit]") {
  auto cfg = testing::tiny_dit_config();
  auto s = dit_stats(cfg, {2, 4, 4, 8, 8}, 8);
  CHECK(s.batch == 2);
  CHECK(s.tokens == 4 * 4 * 4);
  // One block's self-attention at N = 64, D = 64: 4 N^2 D; cross: 4 N L D; two blocks, batch 2.
  CHECK(s.attention_flops == Approx(2.0 * 2 * (4.0 * 64 * 64 * 64 + 4.0 * 64 * 8 * 64)));
  CHECK(s.flops_forward > s.attention_flops);
  auto xl = cfg;
  xl.preset = "xl";
  xl.in_channels = 16;
  xl.text_dim = 4096;
  xl.pooled_dim = 768;
  xl.max_text_len = 77;
  auto sx = dit_stats(xl, {16, 16, 32, 32}, 77);
  CHECK(sx.tokens == 4096);
  CHECK(sx.params > 700e6);  // DiT-XL's 675M plus cross-attention (4 D^2 per block)
  CHECK(sx.params < 900e6);
}

TEST_CASE("dit: a tiny DiT overfits a few latents (loss drops >= 10x)", "[unit][dit]") {
  auto cfg = testing::tiny_dit_config();
  torch::manual_seed(0);
  Dit m(cfg);
  config::DiffusionConfig dcfg;
  diffusion::Objective obj(dcfg);
  auto gen = at::detail::createCPUGenerator(11);
  auto x0 = torch::randn({4, 4, 2, 8, 8}, gen);
  auto noise = torch::randn({4, 4, 2, 8, 8}, gen);
  auto t = torch::tensor({0.2f, 0.4f, 0.6f, 0.8f});
  diffusion::Conditioning cond{torch::randn({4, 8, 32}, gen), torch::ones({4, 8}, torch::kBool),
                               torch::randn({4, 16}, gen)};
  auto model_fn = [&](const torch::Tensor& x, const torch::Tensor& tt, const diffusion::Conditioning& c) {
    return m->forward(x, tt, c.text, c.text_mask, c.pooled);
  };
  torch::optim::AdamW opt(m->parameters(), torch::optim::AdamWOptions(2e-3).weight_decay(0.0));
  const auto start = std::chrono::steady_clock::now();
  const double first = obj.loss_at(model_fn, x0, cond, t, noise).loss.item<double>();
  double last = first;
  int steps = 0;
  for (; steps < 400 && last > first / 10; ++steps) {
    opt.zero_grad();
    auto r = obj.loss_at(model_fn, x0, cond, t, noise);
    r.loss.backward();
    opt.step();
    last = r.loss.item<double>();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("loss " << first << " -> " << last << " in " << steps << " steps, " << secs << " s");
  CHECK(last < first / 10);  // (speed is the benchmarks' business: tools/bench/dit_cpu.cpp, not a timed test)
}
