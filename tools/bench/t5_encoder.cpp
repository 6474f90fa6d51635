// Benchmark (not a test): the T5 / UMT5 encoder forward on CPU (float32, no grad, padding mask), vdf
// (framework/models/text/t5_model.h) vs transformers' UMT5EncoderModel / T5EncoderModel
// (tools/bench/t5_reference.py in the pinned .venv, torch of the same version), same architecture, batch,
// mask and threads, in the same run. Each side runs in its own child process so that peak RSS
// (getrusage ru_maxrss) is per implementation.
//
//   vdf_bench_t5_encoder [--threads N] [--steps N] [--warmup N] [--sizes small,base] [--kind umt5|t5]
// Prints per size: median forward time of both, the ratio vdf/transformers (goal <= 1.0), peak RSS of
// both, and the parameter counts (must match: same architecture).
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
#include "framework/models/text/t5_model.h"

namespace {

struct T5BenchSize {
  std::string name;
  int64_t d_model, d_kv, d_ff, layers, heads;
};

// umt5-small / umt5-base widths (the XXL encoder, 5.7 B parameters, needs ~23 GB in float32: not here).
const std::vector<T5BenchSize>& t5_bench_sizes() {
  static const std::vector<T5BenchSize> s = {{"small", 512, 64, 1024, 8, 6}, {"base", 768, 64, 2048, 12, 12}};
  return s;
}
constexpr int64_t kT5BenchVocab = 32128, kT5BenchLength = 512, kT5BenchBatch = 2;

void t5_bench_child(const T5BenchSize& s, const std::string& kind, int threads, int warmup, int steps) {
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  vdf::text::T5Config c;
  c.model_type = kind;
  c.vocab_size = kT5BenchVocab;
  c.d_model = s.d_model;
  c.d_kv = s.d_kv;
  c.d_ff = s.d_ff;
  c.num_layers = s.layers;
  c.num_heads = s.heads;
  vdf::text::T5Encoder model(c);
  model->eval();
  int64_t params = 0;
  for (auto& p : model->parameters()) params += p.numel();
  auto ids = torch::randint(3, kT5BenchVocab, {kT5BenchBatch, kT5BenchLength}, torch::kLong);
  auto mask = torch::zeros({kT5BenchBatch, kT5BenchLength}, torch::kLong);
  for (int64_t b = 0; b < kT5BenchBatch; ++b)
    mask[b].slice(0, 0, std::max<int64_t>(2, kT5BenchLength * (b + 1) / (kT5BenchBatch + 1))).fill_(1);
  std::vector<double> times;
  torch::Tensor out;
  torch::NoGradGuard no_grad;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    out = model->forward(ids, mask);
    if (i >= warmup)
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  nlohmann::json j;
  j["ms"] = times[times.size() / 2];
  j["params"] = params;
  j["peak_rss_mb"] = vdf::bench::peak_rss_mb();
  j["threads"] = torch::get_num_threads();
  j["checksum"] = out.abs().mean().item<double>();
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vdf::log::init(vdf::log::Level::warn);
    int threads = 2, warmup = 1, steps = 5;
    std::string python = VDF_REFERENCE_PYTHON, child, only = "small,base", kind = "umt5";
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
      else if (a == "--kind") kind = next();
      else if (a == "--help" || a == "-h") {
        std::cout << "vdf_bench_t5_encoder [--threads N (2)] [--steps N (5)] [--warmup N (1)] [--sizes small,base] "
                     "[--kind umt5|t5] [--python PY (default: the pinned .venv)]\n";
        return 0;
      } else vdf::fail("unknown argument '{}'", a);
    }
    VDF_CHECK(kind == "umt5" || kind == "t5", "--kind must be umt5 or t5, not '{}'", kind);
    if (!child.empty()) {
      for (const auto& s : t5_bench_sizes())
        if (s.name == child) {
          t5_bench_child(s, kind, threads, warmup, steps);
          return 0;
        }
      vdf::fail("unknown size '{}'", child);
    }
    const std::string script = VDF_SOURCE_DIR "/tools/bench/t5_reference.py";
    std::cout << kind << " encoder forward (float32, no grad, batch " << kT5BenchBatch << " x " << kT5BenchLength
              << " tokens with padding mask), threads " << threads << ", median of " << steps << " after " << warmup
              << " warm-up; LibTorch " << TORCH_VERSION << "\n";
    std::cout << "size    params    vdf ms  transformers ms  ratio  vdf RSS MB  transformers RSS MB\n";
    for (const auto& s : t5_bench_sizes()) {
      if (("," + only + ",").find("," + s.name + ",") == std::string::npos) continue;
      std::ostringstream common;
      common << " --threads " << threads << " --warmup " << warmup << " --steps " << steps;
      auto v = vdf::bench::run_json(std::string(argv[0]) + " --child " + s.name + " --kind " + kind + common.str());
      std::ostringstream py;
      py << python << " " << script << " --kind " << kind << " --d-model " << s.d_model << " --d-kv " << s.d_kv
         << " --d-ff " << s.d_ff << " --layers " << s.layers << " --heads " << s.heads << " --vocab " << kT5BenchVocab
         << " --length " << kT5BenchLength << " --batch " << kT5BenchBatch << common.str();
      auto p = vdf::bench::run_json(py.str());
      VDF_CHECK(v["params"].get<int64_t>() == p["params"].get<int64_t>(),
                "parameter counts differ: vdf {}, transformers {} (architectures diverged)", v["params"].get<int64_t>(),
                p["params"].get<int64_t>());
      const double vm = v["ms"], pm = p["ms"];
      std::printf("%-6s %7.1fM %9.1f %16.1f %6.3f %11.0f %20.0f\n", s.name.c_str(), v["params"].get<int64_t>() / 1e6, vm,
                  pm, vm / pm, v["peak_rss_mb"].get<double>(), p["peak_rss_mb"].get<double>());
      std::fflush(stdout);
    }
    std::cout << "ratio = vdf / transformers forward time (goal <= 1.0)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vdf_bench_t5_encoder: " << e.what() << "\n";
    return 1;
  }
}
