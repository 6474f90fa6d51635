// Benchmark (not a test): one DiT training step (flow-matching loss, forward + backward + AdamW) on CPU,
// vdf (LibTorch C++) vs the same architecture in PyTorch Python (tools/bench/dit_reference.py, run by
// the pinned .venv Python, torch of the same version vdf links), same threads, same shapes, in the same run. Each measurement runs in its own
// child process so that peak RSS (getrusage ru_maxrss) is per model and per implementation.
//
//   vdf_bench_dit_cpu [--threads N] [--steps N] [--warmup N] [--python PY (default: the pinned .venv)] [--sizes a,b]
// Prints per size: median step time of both, the ratio vdf/PyTorch (goal <= 1.0), peak RSS of both,
// the parameter counts (must match: same architecture) and the analytic FLOPs per step.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tools/bench/bench_support.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/dit/dit.h"

namespace {

struct Size {
  std::string name;
  int64_t hidden, depth, heads;
  std::vector<int64_t> latent;  // C T H W
  int64_t batch = 2;
  std::string attention = "full";
};

const std::vector<Size>& sizes() {
  static const std::vector<Size> s = {
      {"small", 192, 4, 3, {4, 4, 16, 16}, 2, "full"},        // 256 tokens, head dim 64
      {"medium", 384, 6, 6, {4, 8, 16, 16}, 2, "full"},       // 512 tokens
      {"medium-fact", 384, 6, 6, {4, 8, 16, 16}, 2, "factorized"},
  };
  return s;
}

constexpr int64_t kTextLen = 16, kTextDim = 256, kPooledDim = 256;

vdf::config::DitConfig config_for(const Size& s) {
  vdf::config::DitConfig c;
  c.preset = "";
  c.hidden = s.hidden;
  c.depth = s.depth;
  c.heads = s.heads;
  c.in_channels = s.latent[0];
  c.text_dim = kTextDim;
  c.pooled_dim = kPooledDim;
  c.max_text_len = kTextLen;
  VDF_CHECK(vdf::config::parse_enum(s.attention, &c.attention), "unknown attention layout '{}'", s.attention);
  return c;
}

// Child: run the vdf step and print one JSON line.
void run_child(const Size& s, int threads, int warmup, int steps) {
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto cfg = config_for(s);
  vdf::dit::Dit model(cfg);
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
  auto text = torch::randn({B, kTextLen, kTextDim});
  auto mask = torch::ones({B, kTextLen}, torch::kBool);
  mask.index_put_({0, torch::indexing::Slice(kTextLen / 2)}, false);
  auto pooled = torch::randn({B, kPooledDim});
  std::vector<double> times;
  double loss_v = 0;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto tt = t.view({B, 1, 1, 1, 1});
    auto xt = (1 - tt) * x0 + tt * noise;
    auto pred = model->forward(xt, t, text, mask, pooled);
    auto loss = (pred - (noise - x0)).pow(2).mean();
    for (auto& p : model->parameters()) p.mutable_grad().reset();  // = PyTorch zero_grad(set_to_none=True)
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
    std::string python = VDF_REFERENCE_PYTHON, child, only, only_script;
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
      else if (a == "--script") only_script = next();
      else if (a == "--help" || a == "-h") {
        std::cout << "vdf_bench_dit_cpu [--threads N (1)] [--steps N (5)] [--warmup N (2)] "
                     "[--python PY (default: the pinned .venv)] [--script tools/bench/dit_reference.py] [--sizes small,medium,medium-fact (small,medium)]\n";
        return 0;
      } else vdf::fail("unknown argument '{}'", a);
    }
    if (only.empty()) only = "small,medium";
    if (!child.empty()) {
      for (const auto& s : sizes())
        if (s.name == child) {
          run_child(s, threads, warmup, steps);
          return 0;
        }
      vdf::fail("unknown size '{}'", child);
    }
    const std::string self = argv[0];
    // The reference script lies beside this source file (CMake compiles with absolute paths).
    const std::string script =
        only_script.empty() ? std::string(VDF_SOURCE_DIR "/tools/bench/dit_reference.py") : only_script;
    std::cout << "DiT CPU training step (flow loss, forward + backward + AdamW), threads " << threads << ", median of "
              << steps << " steps after " << warmup << " warm-up; LibTorch " << TORCH_VERSION << "\n";
    std::cout << "size         params     tokens GFLOP/step  vdf ms   torch ms  ratio  vdf RSS MB  torch RSS MB\n";
    for (const auto& s : sizes()) {
      if (("," + only + ",").find("," + s.name + ",") == std::string::npos) continue;
      const auto cfg = config_for(s);
      const auto st = vdf::dit::dit_stats(cfg, {s.batch, s.latent[0], s.latent[1], s.latent[2], s.latent[3]}, kTextLen);
      std::ostringstream common;
      common << " --threads " << threads << " --warmup " << warmup << " --steps " << steps;
      auto v = vdf::bench::run_json(self + " --child " + s.name + common.str());
      std::ostringstream py;
      py << python << " " << script << " --hidden " << s.hidden << " --depth " << s.depth << " --heads " << s.heads
         << " --latent " << s.latent[0] << " " << s.latent[1] << " " << s.latent[2] << " " << s.latent[3]
         << " --batch " << s.batch << " --text-len " << kTextLen << " --text-dim " << kTextDim << " --pooled-dim "
         << kPooledDim << " --attention " << s.attention << common.str();
      auto p = vdf::bench::run_json(py.str());
      VDF_CHECK(v["params"].get<int64_t>() == p["params"].get<int64_t>() && v["params"].get<int64_t>() == st.params,
                "parameter counts differ: vdf {}, PyTorch {}, analytic {} (architectures diverged)",
                v["params"].get<int64_t>(), p["params"].get<int64_t>(), st.params);
      const double vm = v["step_ms"], pm = p["step_ms"];
      std::printf("%-12s %7.2fM %8lld %10.2f %8.1f %9.1f %6.3f %10.0f %12.0f\n", s.name.c_str(), st.params / 1e6,
                  static_cast<long long>(st.tokens * s.batch), st.flops_train_step() / 1e9, vm, pm, vm / pm,
                  v["peak_rss_mb"].get<double>(), p["peak_rss_mb"].get<double>());
      std::fflush(stdout);
    }
    std::cout << "ratio = vdf / PyTorch step time (goal <= 1.0)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vdf_bench_dit_cpu: " << e.what() << "\n";
    return 1;
  }
}
