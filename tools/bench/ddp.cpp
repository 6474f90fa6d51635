// Benchmark (not a test): data-parallel step time for 1 vs 2 processes on this machine with Gloo, and the
// fraction of gradient all-reduce time hidden behind backward.
//   build/cuda/tools/vdf_bench_ddp [--steps 20] [--width 512] [--depth 6] [--batch 128] [--bucket-mb 1]
// Same model, same global batch: 1 process computes it alone; 2 processes (started through `vdf launch`)
// take half each. Every process uses 1 intra-op thread. "hidden" = 1 - exposed / full, where full is the
// time finish() takes when every bucket is all-reduced after backward (overlap off) and exposed the time
// finish() still waits with overlap on.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "framework/core/log.h"
#include "framework/distributed/context.h"
#include "framework/distributed/grad_sync.h"

namespace {

struct Args {
  int steps = 20, width = 512, depth = 6, batch = 128;
  double bucket_mb = 1.0;
};

struct Timing {
  double step_ms = 0, finish_ms = 0;
};

Timing run(const std::shared_ptr<vdf::distributed::Context>& ctx, const Args& a, bool overlap) {
  torch::manual_seed(0);
  torch::nn::Sequential model;
  for (int i = 0; i < a.depth; ++i) {
    model->push_back(torch::nn::Linear(a.width, a.width));
    model->push_back(torch::nn::GELU());
  }
  vdf::distributed::GradientSynchronizer sync(ctx, model->parameters(), a.bucket_mb);
  sync.set_overlap(overlap);
  sync.broadcast_parameters();
  torch::optim::SGD opt(model->parameters(), 1e-3);
  const int local = a.batch / ctx->world_size();
  auto x = torch::randn({local, a.width});
  Timing t;
  const int warmup = 3;
  for (int s = 0; s < warmup + a.steps; ++s) {
    ctx->barrier();
    const auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    model->forward(x).pow(2).mean().backward();
    const auto t1 = std::chrono::steady_clock::now();
    sync.finish();
    const auto t2 = std::chrono::steady_clock::now();
    opt.step();
    const auto t3 = std::chrono::steady_clock::now();
    if (s >= warmup) {
      t.step_ms += std::chrono::duration<double, std::milli>(t3 - t0).count() / a.steps;
      t.finish_ms += std::chrono::duration<double, std::milli>(t2 - t1).count() / a.steps;
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  bool worker = false;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--steps") a.steps = std::stoi(next());
    else if (k == "--width") a.width = std::stoi(next());
    else if (k == "--depth") a.depth = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--bucket-mb") a.bucket_mb = std::stod(next());
    else if (k == "--worker") worker = true;
  }
  torch::set_num_threads(1);
  vdf::log::set_level(vdf::log::Level::warn);
  if (worker) {
    vdf::config::DistributedConfig cfg;
    cfg.timeout_s = 120;
    auto ctx = vdf::distributed::Context::init(cfg, "cpu");
    auto on = run(ctx, a, true);
    auto off = run(ctx, a, false);
    if (ctx->is_main())
      std::printf("RESULT %.3f %.3f %.3f %.3f\n", on.step_ms, on.finish_ms, off.step_ms, off.finish_ms);
    return 0;
  }
  const int64_t params = static_cast<int64_t>(a.depth) * (a.width * a.width + a.width);
  std::printf("vdf_bench_ddp: MLP %d x %d (%.2f M params, %.1f MiB of fp32 gradients), global batch %d, "
              "bucket %.2f MiB, %d steps, 1 thread per process, Gloo over loopback\n",
              a.depth, a.width, params / 1e6, params * 4 / 1048576.0, a.batch, a.bucket_mb, a.steps);
  auto single = run(vdf::distributed::Context::single(), a, true);
  std::printf("1 process : step %.2f ms\n", single.step_ms);

  const auto self = std::filesystem::read_symlink("/proc/self/exe");
  const auto vdf_exe = self.parent_path() / "vdf";
  const std::string cmd = "OMP_NUM_THREADS=1 " + vdf_exe.string() + " launch --no-prefix --nproc-per-node 2 " +
                          "--master-port " + std::to_string(29000 + getpid() % 1000) + " -- " + self.string() +
                          " --worker --steps " + std::to_string(a.steps) + " --width " + std::to_string(a.width) +
                          " --depth " + std::to_string(a.depth) + " --batch " + std::to_string(a.batch) +
                          " --bucket-mb " + std::to_string(a.bucket_mb) + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return 1;
  char line[4096];
  double on_step = 0, on_finish = 0, off_step = 0, off_finish = 0;
  bool got = false;
  while (fgets(line, sizeof(line), pipe)) {
    if (std::sscanf(line, "RESULT %lf %lf %lf %lf", &on_step, &on_finish, &off_step, &off_finish) == 4) got = true;
    else std::fputs(line, stdout);
  }
  const int rc = pclose(pipe);
  if (!got || rc != 0) {
    std::fprintf(stderr, "vdf_bench_ddp: the 2-process run failed (%s)\n", cmd.c_str());
    return 1;
  }
  std::printf("2 processes, overlap on : step %.2f ms (finish() waits %.2f ms)\n", on_step, on_finish);
  std::printf("2 processes, overlap off: step %.2f ms (finish() = full all-reduce %.2f ms)\n", off_step, off_finish);
  std::printf("step time ratio 2 proc / 1 proc (overlap on): %.3f  (speed-up %.2fx)\n", on_step / single.step_ms,
              single.step_ms / on_step);
  const double hidden = off_finish > 0 ? 1.0 - on_finish / off_finish : 0.0;
  std::printf("all-reduce time hidden behind backward: %.1f %%\n", 100.0 * std::max(0.0, hidden));
  return 0;
}
