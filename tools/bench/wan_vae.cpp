// Benchmark (not a test): the Wan 2.1 VAE encoding one clip on CPU, vdf (LibTorch C++) vs diffusers'
// AutoencoderKLWan (tools/bench/wan_vae_reference.py in the pinned .venv: same torch version), at the
// real architecture (base_dim 96, z_dim 16, 127 M parameters) with the same random weights (vdf's recipe,
// handed to diffusers as a safetensors file in diffusers names), the same clip and the same threads, in
// the same run. Each side runs in its own child process so peak RSS is per side: the process peak
// (getrusage ru_maxrss, weight loading included) and the encode's own peak (VmHWM reset through
// /proc/self/clear_refs after loading); "working" = encode peak - RSS after loading weights and input.
//
//   vdf_bench_wan_vae [--threads N (2)] [--frames T (9)] [--size HxW (128x128)] [--repeat N (1)]
//                     [--tile PX --tile-stride PX] [--python PY] [--vdf-only]
// Prints both encode times (median), the ratio reference/vdf (goal >= 1.0), peak and working memory of
// both, and the relative difference of the two latents (must be ~1e-5: the same computation).
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/bench/bench_support.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/vae/wan_vae.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"

namespace {

namespace fs = std::filesystem;

struct BenchArgs {
  int threads = 2, frames = 9, height = 128, width = 128, repeat = 1, tile = 0, tile_stride = 0;
  std::string python = VDF_REFERENCE_PYTHON, child;
  bool vdf_only = false;
};

double wan_bench_rss_mb() {
  std::ifstream f("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  f >> pages_total >> pages_resident;
  return pages_resident * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double wan_bench_peak_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

// Resets the peak-RSS mark (VmHWM) so the encode's own peak can be read, excluding weight loading.
void wan_bench_reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

double wan_bench_hwm_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Child: load the weights vdf wrote, encode the clip `repeat` times, print one JSON line.
void run_child(const BenchArgs& a) {
  torch::set_num_threads(a.threads);
  const fs::path dir = a.child;
  vdf::vae::WanTiling tiling;
  if (a.tile > 0) {
    tiling.enabled = true;
    tiling.min_height = tiling.min_width = a.tile;
    tiling.stride_height = tiling.stride_width = a.tile_stride > 0 ? a.tile_stride : a.tile * 3 / 4;
  }
  auto vae = vdf::vae::WanVae::from_path(dir / "weights.safetensors", vdf::vae::wan21_arch(), tiling);
  auto video = vdf::tensor_io::load_safetensors(dir / "input.safetensors").at("video");
  const double before = wan_bench_rss_mb();
  wan_bench_reset_peak();
  std::vector<double> times;
  torch::Tensor z;
  for (int i = 0; i < a.repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    z = vae->encode(video);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double encode_peak = wan_bench_hwm_mb();
  vdf::tensor_io::save_safetensors(dir / "vdf_latents.safetensors", {{"latents", z.contiguous()}});
  nlohmann::json j = {{"encode_ms", times},
                      {"rss_before_mb", before},
                      {"encode_peak_rss_mb", encode_peak},
                      {"peak_rss_mb", wan_bench_peak_mb()},
                      {"threads", torch::get_num_threads()}};
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vdf::log::init(vdf::log::Level::warn);
    BenchArgs a;
    for (int i = 1; i < argc; ++i) {
      std::string s = argv[i];
      auto next = [&]() -> std::string {
        VDF_CHECK(i + 1 < argc, "{} needs a value", s);
        return argv[++i];
      };
      if (s == "--threads") a.threads = std::stoi(next());
      else if (s == "--frames") a.frames = std::stoi(next());
      else if (s == "--size") {
        const std::string v = next();
        const auto x = v.find('x');
        VDF_CHECK(x != std::string::npos, "--size '{}': expected HxW", v);
        a.height = std::stoi(v.substr(0, x));
        a.width = std::stoi(v.substr(x + 1));
      } else if (s == "--repeat") a.repeat = std::stoi(next());
      else if (s == "--tile") a.tile = std::stoi(next());
      else if (s == "--tile-stride") a.tile_stride = std::stoi(next());
      else if (s == "--python") a.python = next();
      else if (s == "--vdf-only") a.vdf_only = true;
      else if (s == "--child") a.child = next();
      else if (s == "--help" || s == "-h") {
        std::cout << "vdf_bench_wan_vae [--threads N (2)] [--frames T (9)] [--size HxW (128x128)] [--repeat N (1)] "
                     "[--tile PX --tile-stride PX] [--python PY] [--vdf-only]\n";
        return 0;
      } else vdf::fail("unknown argument '{}'", s);
    }
    if (!a.child.empty()) {
      run_child(a);
      return 0;
    }
    // The weights (recipe, real architecture) and the clip, written once for both sides.
    const fs::path dir = fs::temp_directory_path() / ("vdf-bench-wan-" + std::to_string(getpid()));
    fs::create_directories(dir);
    {
      auto vae = vdf::vae::WanVae::random(vdf::vae::wan21_arch());
      vdf::tensor_io::save_safetensors(dir / "weights.safetensors",
                                       vdf::tensor_io::to_cpu(vdf::tensor_io::state_dict(*vae->model())));
      torch::manual_seed(0);
      vdf::tensor_io::save_safetensors(dir / "input.safetensors",
                                       {{"video", torch::rand({1, 3, a.frames, a.height, a.width})}});
    }
    std::string common = " --threads " + std::to_string(a.threads) + " --repeat " + std::to_string(a.repeat);
    std::string tiles;
    if (a.tile > 0)
      tiles = " --tile " + std::to_string(a.tile) + " --tile-stride " +
              std::to_string(a.tile_stride > 0 ? a.tile_stride : a.tile * 3 / 4);
    std::printf("Wan 2.1 VAE encode, CPU, %d threads, %d frames %dx%d%s, base_dim 96 (random weights), LibTorch %s\n",
                a.threads, a.frames, a.height, a.width, a.tile > 0 ? (", tiles" + tiles).c_str() : "",
                TORCH_VERSION);
    std::fflush(stdout);
    auto v = vdf::bench::run_json(std::string(argv[0]) + " --child " + dir.string() + common + tiles +
                      (a.frames ? " --frames " + std::to_string(a.frames) : ""));
    const double vm = median(v["encode_ms"].get<std::vector<double>>());
    std::printf("vdf:       encode %9.1f ms   peak RSS %7.0f MB (process), %7.0f MB (encode)   working %7.0f MB\n", vm,
                v["peak_rss_mb"].get<double>(), v["encode_peak_rss_mb"].get<double>(),
                v["encode_peak_rss_mb"].get<double>() - v["rss_before_mb"].get<double>());
    std::fflush(stdout);
    if (!a.vdf_only) {
      const std::string script = VDF_SOURCE_DIR "/tools/bench/wan_vae_reference.py";
      auto p = vdf::bench::run_json("OMP_NUM_THREADS=" + std::to_string(a.threads) + " " + a.python + " " + script +
                        " --weights " + (dir / "weights.safetensors").string() + " --input " +
                        (dir / "input.safetensors").string() + " --output " +
                        (dir / "ref_latents.safetensors").string() + common + tiles);
      const double pm = median(p["encode_ms"].get<std::vector<double>>());
      std::printf("diffusers: encode %9.1f ms   peak RSS %7.0f MB (process), %7.0f MB (encode)   working %7.0f MB\n", pm,
                  p["peak_rss_mb"].get<double>(), p["encode_peak_rss_mb"].get<double>(),
                  p["encode_peak_rss_mb"].get<double>() - p["rss_before_mb"].get<double>());
      auto zv = vdf::tensor_io::load_safetensors(dir / "vdf_latents.safetensors").at("latents");
      auto zp = vdf::tensor_io::load_safetensors(dir / "ref_latents.safetensors").at("latents");
      const double rel = ((zv.to(torch::kFloat64) - zp.to(torch::kFloat64)).abs().max() /
                          zp.to(torch::kFloat64).abs().max())
                             .item<double>();
      std::printf("ratio = diffusers / vdf encode time: %.3f (goal >= 1.0); latents [%s] relative difference %.2e\n",
                  pm / vm, fmt::format("{}", fmt::join(zv.sizes(), ",")).c_str(), rel);
    }
    fs::remove_all(dir);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vdf_bench_wan_vae: " << e.what() << "\n";
    return 1;
  }
}
