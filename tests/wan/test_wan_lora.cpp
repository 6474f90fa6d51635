// LoRA on the Wan transformer: vdf's adapters exported in the diffusers/PEFT and ComfyUI layouts are loaded
// by the live diffusers (load_lora_adapter; the ComfyUI file through WanPipeline.lora_state_dict) and give
// vdf's output (fp32, relative error <= 1e-4); merge and re-import give the same output; only the LoRA
// parameters are trained; a LoRA run of `vdf train` killed with SIGKILL resumes bit-identically.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "framework/core/atomic_file.h"
#include "framework/models/wan/lora.h"
#include "framework/models/wan/transformer.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"
#include "tests/wan/wan_fixtures.h"
#include "train/run_dir.h"
#include "train/wan_task.h"

using namespace vdf;
using vdf::testing::rel_err;
namespace fs = std::filesystem;

namespace {

void randomize_wan(torch::nn::Module& m, uint64_t seed, double scale) {
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(seed);
  for (auto& p : m.parameters()) p.copy_(torch::randn(p.sizes(), gen) * scale);
}

// The diffusers config.json of testing::tiny_wan_config().
const char* kTinyConfigJson = R"({"_class_name": "WanTransformer3DModel", "patch_size": [1, 2, 2],
  "num_attention_heads": 2, "attention_head_dim": 16, "in_channels": 4, "out_channels": 4, "text_dim": 32,
  "freq_dim": 32, "ffn_dim": 64, "num_layers": 2, "cross_attn_norm": true, "qk_norm": "rms_norm_across_heads",
  "eps": 1e-06, "image_dim": null, "added_kv_proj_dim": null, "rope_max_seq_len": 32, "pos_embed_seq_len": null})";

}  // namespace

TEST_CASE("wan lora: PEFT and ComfyUI exports load in diffusers and give vdf's output; merge; re-import", "[wan][parity]") {
  torch::set_num_threads(2);
  testing::TempDir tmp("vdf-wan-lora");
  torch::manual_seed(0);
  auto model = std::make_shared<wan::WanTransformerImpl>(testing::tiny_wan_config());
  randomize_wan(*model, 1, 0.2);
  model->eval();
  fs::create_directories(tmp / "transformer");
  tensor_io::save_safetensors(tmp / "transformer/diffusion_pytorch_model.safetensors", tensor_io::state_dict_copy(*model));
  { std::ofstream(tmp / "transformer/config.json") << kTinyConfigJson; }

  auto gen = at::detail::createCPUGenerator(2);
  const auto x = torch::randn({2, 4, 2, 6, 4}, gen), context = torch::randn({2, 5, 32}, gen);
  const auto timestep = torch::tensor({900.0f, 125.0f});
  tensor_io::save_safetensors(tmp / "inputs.safetensors", {{"x", x}, {"timestep", timestep}, {"context", context}});
  torch::NoGradGuard ng;
  const auto base_out = model->forward(x, timestep, context);

  config::LoraConfig lc;
  lc.rank = 4;
  lc.alpha = 8;  // scale 2: the PEFT export folds it into lora_B, the ComfyUI export writes alpha
  wan::LoraSet lora(model, lc);
  CHECK(lora->layer_names().size() == 2 * 10);
  randomize_wan(*lora, 3, 0.3);
  const auto lora_out = model->forward(x, timestep, context);
  CHECK(rel_err(lora_out, base_out) > 1e-2);  // the adapters do change the output
  lora->save(tmp / "lora_peft.safetensors", wan::LoraFormat::peft);
  lora->save(tmp / "lora_comfyui.safetensors", wan::LoraFormat::comfyui);
  const auto comfy = tensor_io::load_safetensors(tmp / "lora_comfyui.safetensors");
  CHECK(comfy.count("diffusion_model.blocks.0.self_attn.q.lora_down.weight"));
  CHECK(comfy.count("diffusion_model.blocks.1.ffn.2.lora_up.weight"));
  CHECK(comfy.at("diffusion_model.blocks.0.cross_attn.o.alpha").item<float>() == 8.0f);
  CHECK(tensor_io::load_safetensors(tmp / "lora_peft.safetensors").count("transformer.blocks.0.attn1.to_q.lora_A.weight"));

  if (testing::run_wan_reference("lora", tmp.path())) {
    const auto ref = tensor_io::load_safetensors(tmp / "lora_out.safetensors");
    INFO("base " << rel_err(base_out, ref.at("base")) << " peft " << rel_err(lora_out, ref.at("peft")) << " comfyui "
                 << rel_err(lora_out, ref.at("comfyui")));
    CHECK(rel_err(base_out, ref.at("base")) < 1e-4);
    CHECK(rel_err(lora_out, ref.at("peft")) < 1e-4);
    CHECK(rel_err(lora_out, ref.at("comfyui")) < 1e-4);
  }

  // Re-import both files into fresh adapters of the same base: the same output.
  for (const char* file : {"lora_peft.safetensors", "lora_comfyui.safetensors"}) {
    INFO(file);
    auto base2 = std::make_shared<wan::WanTransformerImpl>(testing::tiny_wan_config());
    base2->eval();
    tensor_io::load_weights(*base2, tensor_io::state_dict_copy(*model));  // base only: adapters are not in it
    wan::LoraSet again(base2, lc);
    again->load(tmp / file);
    CHECK(rel_err(base2->forward(x, timestep, context), lora_out) < 1e-5);
  }
  // Merge: folded into the base weights, no adapters left, same output.
  lora->merge();
  CHECK(lora->layer_names().empty());
  CHECK(rel_err(model->forward(x, timestep, context), lora_out) < 1e-5);
}

TEST_CASE("wan lora: the training task trains and checkpoints only the adapters", "[wan]") {
  config::DitConfig cfg = testing::tiny_wan_config();
  cfg.lora.rank = 2;
  cfg.lora.targets = {"attn1.to_q", "attn1.to_v"};
  torch::manual_seed(0);
  train::WanTask task(cfg, config::DiffusionConfig{});
  int64_t n = 0;
  for (const auto& p : task.module().named_parameters()) {
    INFO(p.key());
    CHECK((p.key().find(".lora_A") != std::string::npos || p.key().find(".lora_B") != std::string::npos));
    CHECK(p.value().requires_grad());
    ++n;
  }
  CHECK(n == 2 * 2 * 2);  // 2 layers x 2 targets x (A, B)
  for (const auto& p : task.transformer()->parameters()) CHECK_FALSE(p.requires_grad());
  // A target that matches nothing is an error naming it.
  cfg.lora.targets = {"attn1.to_qq"};
  CHECK_THROWS_WITH(train::WanTask(cfg, config::DiffusionConfig{}), Catch::Contains("attn1.to_qq"));
}

namespace {

std::vector<std::string> wan_lora_train_args(const fs::path& root, const std::string& name, int64_t steps) {
  return {testing::vdf_exe(), "train", "--config", (testing::source_dir() / "configs/train/tiny_cpu.yaml").string(),
          "run.root=" + root.string(), "run.name=" + name, "train.steps=" + std::to_string(steps),
          "train.ckpt_every=2", "train.val_every=0", "run.threads=1", "model.family=wan", "model.wan.text_len=0",
          "model.wan.dim=32", "model.wan.heads=2", "model.wan.ffn_dim=64", "model.wan.freq_dim=32",
          "model.lora.rank=4", "model.lora.alpha=4"};
}

std::string wan_join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::vector<std::string> wan_loss_bits(const fs::path& metrics) {
  std::vector<std::string> out;
  for (auto& j : train::read_metrics(metrics))
    if (j["kind"] == "train") out.push_back(std::to_string(j["step"].get<int64_t>()) + ":" + j["loss"].dump());
  return out;
}

}  // namespace

TEST_CASE("wan lora: vdf train killed with SIGKILL resumes bit-identically", "[wan][e2e]") {
  testing::TempDir tmp("vdf-wan-resume");
  const int64_t steps = 30;
  auto full = testing::run_command(wan_join(wan_lora_train_args(tmp.path(), "full", steps)) + " 2>&1");
  INFO(full.output);
  REQUIRE(full.exit_code == 0);

  const fs::path run_dir = tmp.path() / "killed";
  const auto args = wan_lora_train_args(tmp.path(), "killed", steps);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open((tmp.path() / "killed.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  REQUIRE(pid > 0);
  int status = 0;
  bool exited = false;
  for (;;) {  // kill after the 5th step's metrics line (a checkpoint was written at step 4)
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (fs::exists(run_dir / "metrics.jsonl") && train::read_metrics(run_dir / "metrics.jsonl").size() >= 5) break;
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  CHECK_FALSE(exited);
  auto rest = testing::run_command(wan_join(args) + " 2>&1");
  INFO(rest.output);
  REQUIRE(rest.exit_code == 0);
  CHECK(rest.output.find("resumed from") != std::string::npos);

  const auto a = wan_loss_bits(tmp.path() / "full/metrics.jsonl");
  const auto b = wan_loss_bits(run_dir / "metrics.jsonl");
  REQUIRE(a.size() == static_cast<size_t>(steps));
  CHECK(a == b);
  const std::string last = "checkpoints/step_0000030";
  for (const char* file : {"model.safetensors", "ema.safetensors", "optimizer.safetensors"}) {
    INFO(file);
    CHECK(read_file(tmp.path() / "full" / last / file) == read_file(run_dir / last / file));
  }
  // The checkpoint holds only the adapters.
  const auto ckpt = tensor_io::load_safetensors(run_dir / last / "model.safetensors");
  for (const auto& [key, t] : ckpt) {
    INFO(key);
    CHECK((key.find(".lora_A") != std::string::npos || key.find(".lora_B") != std::string::npos));
  }

  // vdf lora-export of the run (latest checkpoint), both layouts (alpha = rank here: scale 1).
  for (const char* format : {"peft", "comfyui"}) {
    INFO(format);
    const fs::path out = tmp.path() / (std::string(format) + ".safetensors");
    auto ex = testing::run_command(testing::vdf_exe() + " lora-export --checkpoint " + run_dir.string() + " --out " +
                                   out.string() + " --format " + format + " 2>&1");
    INFO(ex.output);
    REQUIRE(ex.exit_code == 0);
    const auto f = tensor_io::load_safetensors(out);
    CHECK(f.size() == (std::string(format) == "peft" ? ckpt.size() : ckpt.size() / 2 * 3));
    if (std::string(format) == "peft")
      CHECK(torch::equal(f.at("transformer.blocks.1.attn2.to_out.0.lora_B.weight"),
                         ckpt.at("blocks.1.attn2.to_out.0.lora_B")));
    else
      CHECK(torch::equal(f.at("diffusion_model.blocks.1.cross_attn.o.lora_up.weight"),
                         ckpt.at("blocks.1.attn2.to_out.0.lora_B")));
  }
  // --format merged: the seeded base with the adapters folded in, loadable as a full Wan checkpoint.
  {
    const fs::path out = tmp.path() / "merged.safetensors";
    auto ex = testing::run_command(testing::vdf_exe() + " lora-export --checkpoint " + run_dir.string() + " --out " +
                                   out.string() + " --format merged 2>&1");
    INFO(ex.output);
    REQUIRE(ex.exit_code == 0);
    const auto merged = tensor_io::load_safetensors(out);
    CHECK(merged.count("blocks.0.attn1.to_q.weight"));
    CHECK(merged.count("blocks.0.attn1.to_q.lora_A") == 0);
  }
  // vdf sample of the LoRA run (base re-made from run.seed as in training + the checkpoint's adapters), UniPC.
  { std::ofstream(tmp.path() / "prompts.txt") << "a red square moving left\n"; }
  auto sample = testing::run_command(testing::vdf_exe() + " sample --run-dir " + run_dir.string() + " --prompts " +
                                     (tmp.path() / "prompts.txt").string() + " --out " +
                                     (tmp.path() / "samples").string() + " --steps 3 --sampler unipc 2>&1");
  INFO(sample.output);
  CHECK(sample.exit_code == 0);
  CHECK(fs::exists(tmp.path() / "samples/sample.json"));
}

TEST_CASE("wan lora: 2 data-parallel ranks (vdf launch, gloo) train like 1 process", "[wan][e2e]") {
  testing::TempDir tmp("vdf-wan-dp");
  auto args = [&](const std::string& name, int64_t image_batch, int64_t video_batch) {
    std::vector<std::string> a = wan_lora_train_args(tmp.path(), name, 6);
    a.push_back("distributed.backend=gloo");
    a.push_back("\"data.bucket_batch=[{bucket: 1x8x8, batch_size: " + std::to_string(image_batch) +
                "}, {bucket: 4x8x8, batch_size: " + std::to_string(video_batch) + "}]\"");
    return wan_join(a);
  };
  auto one = testing::run_command(args("one", 8, 2) + " 2>&1");
  INFO(one.output);
  REQUIRE(one.exit_code == 0);
  auto two = testing::run_command(testing::vdf_exe() + " launch --nproc-per-node 2 -- " + args("two", 4, 1) + " 2>&1");
  INFO(two.output);
  REQUIRE(two.exit_code == 0);
  std::vector<double> a, b;
  for (auto& j : train::read_metrics(tmp.path() / "one/metrics.jsonl"))
    if (j["kind"] == "train") a.push_back(j["loss"].get<double>());
  for (auto& j : train::read_metrics(tmp.path() / "two/metrics.jsonl"))
    if (j["kind"] == "train") b.push_back(j["loss"].get<double>());
  REQUIRE(a.size() == 6);
  REQUIRE(b.size() == 6);
  for (size_t i = 0; i < a.size(); ++i) CHECK(b[i] == Approx(a[i]).epsilon(1e-5));
  const auto wa = tensor_io::load_safetensors(tmp.path() / "one/checkpoints/step_0000006/model.safetensors");
  const auto wb = tensor_io::load_safetensors(tmp.path() / "two/checkpoints/step_0000006/model.safetensors");
  REQUIRE(wa.size() == wb.size());
  for (const auto& [k, v] : wa) {
    INFO(k);
    CHECK(testing::max_abs(v, wb.at(k)) < 1e-5);
  }
}
