// Benchmark (not a test): one Wan 2.1 transformer training step (rectified-flow velocity loss, forward +
// backward + AdamW) on CPU, vdf (framework/models/wan) vs diffusers' WanTransformer3DModel
// (tools/bench/wan_reference.py, run by the pinned .venv Python: torch of the same version vdf links),
// same config, shapes and threads, in the same run. Each measurement runs in its own child process so that
// the peak RSS (getrusage ru_maxrss) is per implementation.
//
//   vdf_bench_wan_cpu [--threads N] [--steps N] [--warmup N] [--python PY] [--sizes tiny,small,medium]
// Prints per size: median step time of both, the ratio diffusers/vdf (speed-up; goal >= 1.0), peak RSS of
// both and the parameter counts (must match: same architecture).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tools/bench/bench_support.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/wan/transformer.h"

namespace {

struct WanBenchSize {
  std::string name;
  int64_t dim, layers, heads, ffn;
  std::vector<int64_t> latent;  // C T H W (patch 1x2x2)
  int64_t batch = 1;
  bool grad_checkpointing = false;
};

const std::vector<WanBenchSize>& wan_bench_sizes() {
  static const std::vector<WanBenchSize> s = {
      {"tiny", 128, 2, 2, 256, {16, 3, 16, 16}, 2},          // 192 tokens, head dim 64
      {"small", 384, 4, 6, 1024, {16, 5, 16, 16}, 1},        // 320 tokens
      {"medium", 768, 4, 6, 2048, {16, 5, 32, 32}, 1},       // 1280 tokens, head dim 128 (as Wan)
      {"medium-ckpt", 768, 4, 6, 2048, {16, 5, 32, 32}, 1, true},
  };
  return s;
}

constexpr int64_t kWanTextLen = 32, kWanTextDim = 4096;

vdf::config::DitConfig wan_bench_config(const WanBenchSize& s) {
  vdf::config::DitConfig c;
  c.family = vdf::config::ModelFamily::wan;
  c.in_channels = s.latent[0];
  c.out_channels = s.latent[0];
  c.patch = {1, 2, 2};
  c.text_dim = kWanTextDim;
  c.grad_checkpointing = s.grad_checkpointing;
  c.wan.preset = "";
  c.wan.dim = s.dim;
  c.wan.layers = s.layers;
  c.wan.heads = s.heads;
  c.wan.ffn_dim = s.ffn;
  c.wan.freq_dim = 256;
  c.wan.text_len = 0;
  return c;
}

void wan_run_child(const WanBenchSize& s, int threads, int warmup, int steps) {
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  vdf::wan::WanTransformer model(wan_bench_config(s));
  model->train();
  {
    torch::NoGradGuard ng;
    for (auto& p : model->parameters()) p.normal_(0, 0.02);
  }
  int64_t params = 0;
  for (auto& p : model->parameters()) params += p.numel();
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.0));
  const int64_t B = s.batch;
  auto x0 = torch::randn({B, s.latent[0], s.latent[1], s.latent[2], s.latent[3]});
  auto noise = torch::randn_like(x0);
  auto t = torch::rand({B});
  auto ctx = torch::randn({B, kWanTextLen, kWanTextDim});
  std::vector<double> times;
  double loss_v = 0;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto tt = t.view({B, 1, 1, 1, 1});
    auto xt = (1 - tt) * x0 + tt * noise;
    auto pred = model->forward(xt, t * 1000, ctx);
    auto loss = (pred - (noise - x0)).pow(2).mean();
    for (auto& p : model->parameters()) p.mutable_grad().reset();  // = zero_grad(set_to_none=True)
    loss.backward();
    opt.step();
    loss_v = loss.item<double>();
    if (i >= warmup)
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  auto sorted = times;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json j;
  j["step_ms"] = sorted[sorted.size() / 2];
  j["steps_ms"] = times;
  j["peak_rss_mb"] = vdf::bench::peak_rss_mb();
  j["params"] = params;
  j["loss"] = loss_v;
  j["threads"] = torch::get_num_threads();
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vdf::log::init(vdf::log::Level::warn);
    int threads = 1, warmup = 2, steps = 5;
    std::string python = VDF_REFERENCE_PYTHON, child, only;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        VDF_CHECK(i + 1 < argc, "{} needs a value", a);
        return argv[++i];
      };
      if (a == "--threads") threads = std::stoi(next());
      else if (a == "--steps") steps = std::stoi(next());
      else if (a == "--warmup") warmup = std::stoi(next());
      else if (a == "--python") python = next();
      else if (a == "--child") child = next();
      else if (a == "--sizes") only = next();
      else if (a == "--help" || a == "-h") {
        std::cout << "vdf_bench_wan_cpu [--threads N (1)] [--steps N (5)] [--warmup N (2)] [--python PY (default: the "
                     "pinned .venv)] [--sizes tiny,small,medium,medium-ckpt (tiny,small)]\n";
        return 0;
      } else vdf::fail("unknown argument '{}'", a);
    }
    if (only.empty()) only = "tiny,small";
    if (!child.empty()) {
      for (const auto& s : wan_bench_sizes())
        if (s.name == child) {
          wan_run_child(s, threads, warmup, steps);
          return 0;
        }
      vdf::fail("unknown size '{}'", child);
    }
    const std::string self = argv[0];
    const std::string script = VDF_SOURCE_DIR "/tools/bench/wan_reference.py";
    std::cout << "Wan 2.1 transformer CPU training step (flow loss, forward + backward + AdamW), threads " << threads
              << ", median of " << steps << " steps after " << warmup << " warm-up; LibTorch " << TORCH_VERSION
              << ", diffusers reference\n";
    std::cout << "size          params   tokens   vdf ms  diffusers ms  speed-up  vdf RSS MB  diffusers RSS MB\n";
    for (const auto& s : wan_bench_sizes()) {
      if (("," + only + ",").find("," + s.name + ",") == std::string::npos) continue;
      const auto cfg = wan_bench_config(s);
      std::ostringstream common;
      common << " --threads " << threads << " --warmup " << warmup << " --steps " << steps;
      auto v = vdf::bench::run_json(self + " --child " + s.name + common.str());
      std::ostringstream py;
      py << python << " " << script << " --dim " << s.dim << " --layers " << s.layers << " --heads " << s.heads
         << " --ffn " << s.ffn << " --latent " << s.latent[0] << " " << s.latent[1] << " " << s.latent[2] << " "
         << s.latent[3] << " --batch " << s.batch << " --text-len " << kWanTextLen << " --text-dim " << kWanTextDim
         << " --grad-checkpointing " << (s.grad_checkpointing ? 1 : 0) << common.str();
      auto p = vdf::bench::run_json(py.str() + " 2>/dev/null");
      const int64_t analytic = vdf::wan::wan_parameter_count(cfg);
      VDF_CHECK(v["params"].get<int64_t>() == p["params"].get<int64_t>() && v["params"].get<int64_t>() == analytic,
                "parameter counts differ: vdf {}, diffusers {}, analytic {} (architectures diverged)",
                v["params"].get<int64_t>(), p["params"].get<int64_t>(), analytic);
      const double vm = v["step_ms"], pm = p["step_ms"];
      const int64_t tokens = s.latent[1] * (s.latent[2] / 2) * (s.latent[3] / 2) * s.batch;
      std::printf("%-12s %7.2fM %8lld %8.1f %13.1f %9.3f %11.0f %17.0f\n", s.name.c_str(), analytic / 1e6,
                  static_cast<long long>(tokens), vm, pm, pm / vm, v["peak_rss_mb"].get<double>(),
                  p["peak_rss_mb"].get<double>());
      std::fflush(stdout);
    }
    std::cout << "speed-up = diffusers / vdf step time (goal >= 1.0)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vdf_bench_wan_cpu: " << e.what() << "\n";
    return 1;
  }
}
