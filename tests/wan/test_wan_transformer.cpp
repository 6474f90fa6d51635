// The Wan 2.1 transformer against the live diffusers WanTransformer3DModel (tests/wan/wan_reference.py):
// forward, rectified-flow velocity loss and parameter gradients in fp32 (relative error <= 1e-4), loaded
// through the user-facing paths (sharded diffusers folder with index and config.json; the original
// single-file layout in bf16, converted on load); strict loading; gradient checkpointing.
#include <catch2/catch.hpp>

#include <fstream>

#include "framework/core/error.h"
#include "framework/diffusion/objective.h"
#include "framework/models/wan/transformer.h"
#include "framework/models/wan/weights.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/test_support.h"
#include "tests/wan/wan_fixtures.h"
#include "train/wan_task.h"

using namespace vdf;
using vdf::testing::rel_err;
namespace fs = std::filesystem;

namespace {
constexpr double kTol = 1e-4;  // fp32, relative to the largest reference magnitude
}

TEST_CASE("wan: transformer matches diffusers (sharded folder, original bf16 file, loss, gradients)", "[wan][parity]") {
  torch::set_num_threads(2);
  testing::TempDir tmp("vdf-wan");
  if (!testing::run_wan_reference("transformer", tmp.path())) return;
  const auto io = tensor_io::load_safetensors(tmp / "io.safetensors");
  const auto text = io.at("text"), mask = io.at("mask").to(torch::kBool);
  const auto context = text * mask.unsqueeze(-1).to(torch::kFloat32);

  // 1. The sharded diffusers folder, through the user-facing path (model.init_from of the training task,
  //    given the pipeline-style parent folder that holds transformer/).
  config::DitConfig cfg = testing::tiny_wan_config();
  cfg.init_from = tmp.path().string();
  config::DiffusionConfig dcfg;
  train::WanTask task(cfg, dcfg);
  auto& model = task.transformer();
  model->eval();
  {
    torch::NoGradGuard ng;
    const auto y = model->forward(io.at("x"), io.at("timestep"), context);
    INFO("forward rel err " << rel_err(y, io.at("out")));
    CHECK(rel_err(y, io.at("out")) < kTol);
    // vdf's denoiser convention: t in [0, 1], the mask zeroes the padded tokens (here non-zero garbage).
    const auto y2 = model->denoise(io.at("x"), io.at("timestep") / 1000.0, text, mask);
    INFO("denoise rel err " << rel_err(y2, io.at("out")));
    CHECK(rel_err(y2, io.at("out")) < kTol);
  }

  // 2. The original Wan 2.1 single-file names, stored in bf16 (converted to fp32 on load).
  {
    wan::WanTransformer orig(testing::tiny_wan_config());
    orig->eval();
    CHECK(wan::load_wan_weights(*orig, tmp / "original_bf16.safetensors") == wan::WanLayout::original);
    torch::NoGradGuard ng;
    const auto y = orig->forward(io.at("x"), io.at("timestep"), context);
    INFO("original-layout forward rel err " << rel_err(y, io.at("out_bf16")));
    CHECK(rel_err(y, io.at("out_bf16")) < kTol);
  }

  // 3. The velocity loss at fixed t and noise through the objective, and gradients.
  model->train();
  diffusion::Objective objective(dcfg);
  diffusion::Conditioning cond;
  cond.text = text;
  cond.text_mask = mask;
  auto fn = task.model_fn();
  auto r = objective.loss_at(fn, io.at("x0"), cond, io.at("t"), io.at("noise"));
  INFO("loss " << r.loss.item<double>() << " vs " << io.at("loss").item<double>());
  CHECK(rel_err(r.loss.reshape({1}), io.at("loss")) < kTol);
  r.loss.backward();
  auto params = model->named_parameters();
  const std::pair<const char*, const char*> grads[] = {
      {"blocks.0.attn1.to_q.weight", "grad_to_q"},
      {"blocks.1.scale_shift_table", "grad_scale_shift_table"},
      {"condition_embedder.text_embedder.linear_1.weight", "grad_text_linear_1"}};
  for (const auto& [name, key] : grads) {
    INFO(name << " gradient rel err " << rel_err(params[name].grad(), io.at(key)));
    CHECK(rel_err(params[name].grad(), io.at(key)) < kTol);
  }
}

TEST_CASE("wan: loading is strict and checks config.json", "[wan]") {
  testing::TempDir tmp("vdf-wan-strict");
  wan::WanTransformer model(testing::tiny_wan_config());
  // A file with one tensor missing and one extra: both named, nothing loaded.
  auto sd = tensor_io::state_dict_copy(*model);
  sd.erase("blocks.1.attn2.to_k.bias");
  sd["blocks.1.attn2.extra"] = torch::zeros({2});
  tensor_io::save_safetensors(tmp / "bad.safetensors", sd);
  try {
    wan::load_wan_weights(*model, tmp / "bad.safetensors");
    FAIL("expected an error");
  } catch (const vdf::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("blocks.1.attn2.to_k.bias") != std::string::npos);
    CHECK(msg.find("blocks.1.attn2.extra") != std::string::npos);
  }
  // A diffusers folder whose config.json disagrees with the model section.
  fs::create_directories(tmp / "folder");
  tensor_io::save_safetensors(tmp / "folder/diffusion_pytorch_model.safetensors", tensor_io::state_dict_copy(*model));
  {
    std::ofstream(tmp / "folder/config.json") << R"({"num_attention_heads": 4, "attention_head_dim": 8, "num_layers": 2})";
  }
  CHECK_THROWS_WITH(wan::load_wan_weights(*model, tmp / "folder"), Catch::Contains("num_attention_heads"));
  {
    std::ofstream(tmp / "folder/config.json") << R"({"num_attention_heads": 2, "attention_head_dim": 16, "num_layers": 2})";
  }
  CHECK(wan::load_wan_weights(*model, tmp / "folder") == wan::WanLayout::diffusers);
}

TEST_CASE("wan: gradient checkpointing gives the same loss and gradients", "[wan]") {
  torch::set_num_threads(2);
  auto make = [](bool ckpt) {
    config::DitConfig c = testing::tiny_wan_config();
    c.grad_checkpointing = ckpt;
    torch::manual_seed(5);
    wan::WanTransformer m(c);
    torch::NoGradGuard ng;
    auto gen = at::detail::createCPUGenerator(9);
    for (auto& p : m->parameters()) p.copy_(torch::randn(p.sizes(), gen) * 0.2);
    return m;
  };
  auto run = [](wan::WanTransformer& m) {
    auto gen = at::detail::createCPUGenerator(11);
    auto x = torch::randn({2, 4, 2, 4, 4}, gen);
    auto text = torch::randn({2, 5, 32}, gen);
    m->train();
    auto y = m->denoise(x, torch::tensor({0.3f, 0.8f}), text, torch::ones({2, 5}, torch::kBool));
    auto loss = y.pow(2).mean();
    loss.backward();
    return loss.item<double>();
  };
  auto a = make(false), b = make(true);
  CHECK(run(a) == Approx(run(b)).epsilon(1e-6));
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : pa) {
    INFO(p.key());
    CHECK(testing::max_abs(p.value().grad(), pb[p.key()].grad()) < 1e-5);
  }
}

TEST_CASE("wan: presets give the published sizes", "[wan]") {
  config::DitConfig c;
  c.family = config::ModelFamily::wan;
  c.in_channels = 16;
  c.text_dim = 4096;
  c.wan.preset = "1.3b";
  CHECK(wan::wan_parameter_count(c) == 1418996800);   // diffusers WanTransformer3DModel, 1.3B config
  c.wan.preset = "14b";
  CHECK(wan::wan_parameter_count(c) == 14288491584);  // 14B config
  // The built tiny model has exactly the counted parameters.
  wan::WanTransformer m(testing::tiny_wan_config());
  int64_t n = 0;
  for (auto& p : m->parameters()) n += p.numel();
  CHECK(n == wan::wan_parameter_count(testing::tiny_wan_config()));
}
