// Benchmark: Inception (pytorch-fid FID variant) feature throughput and 2048-d Fréchet distance time, vdf
// (LibTorch + Eigen) next to the Python reference doing the same work in the same run:
//   - a pytorch-fid-equivalent Inception written inline in Python (torch; torchvision is not needed),
//     same recipe-free random weights, same batch, same threads;
//   - pytorch-fid's calculate_frechet_distance with scipy.linalg.sqrtm on the same covariances.
// Prints times and ratios (python time / vdf time; goal >= 1.0).
//   vdf_bench_eval [--images 64] [--batch 32] [--dims 2048] [--samples 3000] [--threads 0]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "eval/metrics/frechet.h"
#include "eval/networks/inception.h"
#include "eval/networks/weights.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/safetensors.h"

namespace fs = std::filesystem;
using namespace vdf::eval;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

const char* kPython = R"PY(
import sys, time, json, struct
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import scipy.linalg
d = sys.argv[1]; images = int(sys.argv[2]); batch = int(sys.argv[3]); threads = int(sys.argv[4])
if threads > 0: torch.set_num_threads(threads)

def load(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        dt = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64}[v['dtype']]
        s, e = v['data_offsets']
        out[k] = np.frombuffer(b[8+n+s:8+n+e], dtype=dt).reshape(v['shape'])
    return out

class C(nn.Module):  # torchvision BasicConv2d
    def __init__(s, i, o, **kw):
        super().__init__(); s.conv = nn.Conv2d(i, o, bias=False, **kw); s.bn = nn.BatchNorm2d(o, eps=0.001)
    def forward(s, x): return F.relu(s.bn(s.conv(x)), inplace=True)
class A(nn.Module):
    def __init__(s, i, pf):
        super().__init__(); s.branch1x1 = C(i, 64, kernel_size=1); s.branch5x5_1 = C(i, 48, kernel_size=1)
        s.branch5x5_2 = C(48, 64, kernel_size=5, padding=2); s.branch3x3dbl_1 = C(i, 64, kernel_size=1)
        s.branch3x3dbl_2 = C(64, 96, kernel_size=3, padding=1); s.branch3x3dbl_3 = C(96, 96, kernel_size=3, padding=1)
        s.branch_pool = C(i, pf, kernel_size=1)
    def forward(s, x):
        return torch.cat([s.branch1x1(x), s.branch5x5_2(s.branch5x5_1(x)), s.branch3x3dbl_3(s.branch3x3dbl_2(s.branch3x3dbl_1(x))),
                          s.branch_pool(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))], 1)
class B(nn.Module):
    def __init__(s, i):
        super().__init__(); s.branch3x3 = C(i, 384, kernel_size=3, stride=2); s.branch3x3dbl_1 = C(i, 64, kernel_size=1)
        s.branch3x3dbl_2 = C(64, 96, kernel_size=3, padding=1); s.branch3x3dbl_3 = C(96, 96, kernel_size=3, stride=2)
    def forward(s, x):
        return torch.cat([s.branch3x3(x), s.branch3x3dbl_3(s.branch3x3dbl_2(s.branch3x3dbl_1(x))), F.max_pool2d(x, 3, 2)], 1)
class Cc(nn.Module):
    def __init__(s, i, c7):
        super().__init__(); s.branch1x1 = C(i, 192, kernel_size=1)
        s.branch7x7_1 = C(i, c7, kernel_size=1); s.branch7x7_2 = C(c7, c7, kernel_size=(1, 7), padding=(0, 3)); s.branch7x7_3 = C(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        s.branch7x7dbl_1 = C(i, c7, kernel_size=1); s.branch7x7dbl_2 = C(c7, c7, kernel_size=(7, 1), padding=(3, 0)); s.branch7x7dbl_3 = C(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        s.branch7x7dbl_4 = C(c7, c7, kernel_size=(7, 1), padding=(3, 0)); s.branch7x7dbl_5 = C(c7, 192, kernel_size=(1, 7), padding=(0, 3)); s.branch_pool = C(i, 192, kernel_size=1)
    def forward(s, x):
        b7 = s.branch7x7_3(s.branch7x7_2(s.branch7x7_1(x)))
        bd = s.branch7x7dbl_5(s.branch7x7dbl_4(s.branch7x7dbl_3(s.branch7x7dbl_2(s.branch7x7dbl_1(x)))))
        return torch.cat([s.branch1x1(x), b7, bd, s.branch_pool(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))], 1)
class D(nn.Module):
    def __init__(s, i):
        super().__init__(); s.branch3x3_1 = C(i, 192, kernel_size=1); s.branch3x3_2 = C(192, 320, kernel_size=3, stride=2)
        s.branch7x7x3_1 = C(i, 192, kernel_size=1); s.branch7x7x3_2 = C(192, 192, kernel_size=(1, 7), padding=(0, 3))
        s.branch7x7x3_3 = C(192, 192, kernel_size=(7, 1), padding=(3, 0)); s.branch7x7x3_4 = C(192, 192, kernel_size=3, stride=2)
    def forward(s, x):
        return torch.cat([s.branch3x3_2(s.branch3x3_1(x)), s.branch7x7x3_4(s.branch7x7x3_3(s.branch7x7x3_2(s.branch7x7x3_1(x)))), F.max_pool2d(x, 3, 2)], 1)
class E(nn.Module):
    def __init__(s, i, mx):
        super().__init__(); s.mx = mx; s.branch1x1 = C(i, 320, kernel_size=1); s.branch3x3_1 = C(i, 384, kernel_size=1)
        s.branch3x3_2a = C(384, 384, kernel_size=(1, 3), padding=(0, 1)); s.branch3x3_2b = C(384, 384, kernel_size=(3, 1), padding=(1, 0))
        s.branch3x3dbl_1 = C(i, 448, kernel_size=1); s.branch3x3dbl_2 = C(448, 384, kernel_size=3, padding=1)
        s.branch3x3dbl_3a = C(384, 384, kernel_size=(1, 3), padding=(0, 1)); s.branch3x3dbl_3b = C(384, 384, kernel_size=(3, 1), padding=(1, 0))
        s.branch_pool = C(i, 192, kernel_size=1)
    def forward(s, x):
        b3 = s.branch3x3_1(x); b3 = torch.cat([s.branch3x3_2a(b3), s.branch3x3_2b(b3)], 1)
        bd = s.branch3x3dbl_2(s.branch3x3dbl_1(x)); bd = torch.cat([s.branch3x3dbl_3a(bd), s.branch3x3dbl_3b(bd)], 1)
        p = F.max_pool2d(x, 3, 1, 1) if s.mx else F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        return torch.cat([s.branch1x1(x), b3, bd, s.branch_pool(p)], 1)
class Net(nn.Module):  # pytorch-fid InceptionV3([3]) with fid_inception_v3()
    def __init__(s):
        super().__init__()
        s.Conv2d_1a_3x3 = C(3, 32, kernel_size=3, stride=2); s.Conv2d_2a_3x3 = C(32, 32, kernel_size=3); s.Conv2d_2b_3x3 = C(32, 64, kernel_size=3, padding=1)
        s.Conv2d_3b_1x1 = C(64, 80, kernel_size=1); s.Conv2d_4a_3x3 = C(80, 192, kernel_size=3)
        s.Mixed_5b = A(192, 32); s.Mixed_5c = A(256, 64); s.Mixed_5d = A(288, 64); s.Mixed_6a = B(288)
        s.Mixed_6b = Cc(768, 128); s.Mixed_6c = Cc(768, 160); s.Mixed_6d = Cc(768, 160); s.Mixed_6e = Cc(768, 192)
        s.Mixed_7a = D(768); s.Mixed_7b = E(1280, False); s.Mixed_7c = E(2048, True); s.fc = nn.Linear(2048, 1008)
    def forward(s, x):
        x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False); x = 2 * x - 1
        x = F.max_pool2d(s.Conv2d_2b_3x3(s.Conv2d_2a_3x3(s.Conv2d_1a_3x3(x))), 3, 2)
        x = F.max_pool2d(s.Conv2d_4a_3x3(s.Conv2d_3b_1x1(x)), 3, 2)
        for m in [s.Mixed_5b, s.Mixed_5c, s.Mixed_5d, s.Mixed_6a, s.Mixed_6b, s.Mixed_6c, s.Mixed_6d, s.Mixed_6e, s.Mixed_7a, s.Mixed_7b, s.Mixed_7c]: x = m(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)

net = Net().eval()
w = load(d + '/weights.safetensors')
net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in w.items()}, strict=True)
x = torch.from_numpy(load(d + '/images.safetensors')['x'].copy())
with torch.no_grad():
    net(x[:batch])  # warm-up
    t0 = time.perf_counter(); feats = []
    for i in range(0, images, batch): feats.append(net(x[i:i + batch]))
    t_inc = time.perf_counter() - t0
feats = torch.cat(feats).numpy()
ref = load(d + '/feats.safetensors')['f']
print('PY_INCEPTION_S %.6f' % t_inc)
print('PY_FEATURE_MAXREL %.3e' % (np.abs(feats - ref).max() / np.abs(ref).max()))

s = load(d + '/stats.safetensors')
def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):  # pytorch-fid 0.3.0
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
t0 = time.perf_counter()
fd = calculate_frechet_distance(s['mu1'], s['sigma1'], s['mu2'], s['sigma2'])
print('PY_FRECHET_S %.6f' % (time.perf_counter() - t0))
print('PY_FRECHET_VALUE %.17g' % fd)
)PY";

int64_t arg(int argc, char** argv, const std::string& name, int64_t def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return std::atoll(argv[i + 1]);
  return def;
}

double parse(const std::string& out, const std::string& key) {
  auto p = out.find(key + " ");
  if (p == std::string::npos) return -1;
  return std::atof(out.c_str() + p + key.size() + 1);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf(
          "vdf_bench_eval: Inception pool3 throughput and 2048-d Frechet distance time, vdf next to the Python\n"
          "reference (the pinned .venv Python: torch for an inline pytorch-fid Inception on the same weights, scipy sqrtm\n"
          "as pytorch-fid's calculate_frechet_distance) in the same run; ratio = python time / vdf time.\n\n"
          "  --images N    images through Inception (default 64)\n"
          "  --batch N     batch size (default 32)\n"
          "  --dims D      Frechet dimension (default 2048)\n"
          "  --samples N   samples behind each covariance (default 3000)\n"
          "  --threads N   intra-op threads for both sides (default 0: LibTorch's default)\n");
      return 0;
    }
  const int64_t images = arg(argc, argv, "--images", 64), batch = arg(argc, argv, "--batch", 32);
  const int64_t samples = arg(argc, argv, "--samples", 3000), dims = arg(argc, argv, "--dims", 2048);
  const int64_t threads = arg(argc, argv, "--threads", 0);
  if (threads > 0) torch::set_num_threads(static_cast<int>(threads));
  torch::NoGradGuard ng;
  const fs::path dir = fs::temp_directory_path() / ("vdf-bench-eval-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  // ---- Inception throughput ----
  FidInceptionV3 net;
  fill_recipe_by_role(*net, inception_recipe_role);
  net->eval();
  vdf::tensor_io::TensorMap w;
  for (auto& p : net->named_parameters()) w[p.key()] = p.value();
  for (auto& b : net->named_buffers()) w[b.key()] = b.value();
  vdf::tensor_io::save_safetensors(dir / "weights.safetensors", w);
  torch::manual_seed(0);
  auto x = torch::rand({images, 3, 256, 256});  // /255-scaled images of 256x256, resized to 299 inside
  vdf::tensor_io::save_safetensors(dir / "images.safetensors", {{"x", x}});
  namespace F = torch::nn::functional;
  auto run = [&](const torch::Tensor& b) {
    auto in = F::interpolate(b, F::InterpolateFuncOptions().size(std::vector<int64_t>{299, 299}).mode(torch::kBilinear).align_corners(false)) * 2 - 1;
    return net->pool3(in);
  };
  run(x.slice(0, 0, batch));  // warm-up
  auto t0 = Clock::now();
  std::vector<torch::Tensor> feats;
  for (int64_t i = 0; i < images; i += batch) feats.push_back(run(x.slice(0, i, std::min(images, i + batch))));
  const double t_inc = seconds_since(t0);
  vdf::tensor_io::save_safetensors(dir / "feats.safetensors", {{"f", torch::cat(feats)}});

  // ---- Fréchet distance (2048-d, covariances from `samples` recipe features, as golden case c) ----
  auto make = [&](const std::string& seed, double shift) {
    auto t = vdf::tensor_io::recipe_uniform(seed, samples * dims).reshape({samples, dims});
    return (t + shift * torch::arange(dims, torch::kFloat64) / dims).to(torch::kFloat32);
  };
  auto g1 = gaussian_from_features(make("frechet_c_a", 0.0), CovConvention::unbiased);
  auto g2 = gaussian_from_features(make("frechet_c_b", 0.2), CovConvention::unbiased);
  vdf::tensor_io::save_safetensors(dir / "stats.safetensors", {{"mu1", to_tensor(g1.mu)}, {"sigma1", to_tensor(g1.sigma)},
                                            {"mu2", to_tensor(g2.mu)}, {"sigma2", to_tensor(g2.sigma)}});
  t0 = Clock::now();
  auto fr = frechet_distance(g1.mu, g1.sigma, g2.mu, g2.sigma);
  const double t_fd = seconds_since(t0);

  // ---- Python reference, same run ----
  std::ofstream(dir / "bench.py") << kPython;
  const std::string cmd = std::string(VDF_REFERENCE_PYTHON) + " " + (dir / "bench.py").string() + " " + dir.string() + " " +
                          std::to_string(images) + " " + std::to_string(batch) + " " +
                          std::to_string(threads > 0 ? threads : torch::get_num_threads()) + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  const double py_inc = parse(out, "PY_INCEPTION_S"), py_fd = parse(out, "PY_FRECHET_S");
  const double py_val = parse(out, "PY_FRECHET_VALUE"), py_rel = parse(out, "PY_FEATURE_MAXREL");
  std::printf("threads: %d (LibTorch intra-op)\n", torch::get_num_threads());
  std::printf("inception pool3, %lld images 256x256 -> 299, batch %lld:\n", static_cast<long long>(images),
              static_cast<long long>(batch));
  std::printf("  vdf     %8.3f s  %8.2f images/s\n", t_inc, images / t_inc);
  if (py_inc > 0) {
    std::printf("  python  %8.3f s  %8.2f images/s   (same weights; feature max rel diff %.2e)\n", py_inc, images / py_inc, py_rel);
    std::printf("  ratio (python time / vdf time): %.3f\n", py_inc / t_inc);
  }
  std::printf("frechet distance, %lld-d (covariances of %lld samples):\n", static_cast<long long>(dims),
              static_cast<long long>(samples));
  std::printf("  vdf     %8.3f s  value %.12f\n", t_fd, fr.distance);
  if (py_fd > 0) {
    std::printf("  scipy   %8.3f s  value %.12f  (rel diff %.2e)\n", py_fd, py_val, std::abs(py_val - fr.distance) / std::abs(py_val));
    std::printf("  ratio (python time / vdf time): %.3f\n", py_fd / t_fd);
  }
  if (py_inc <= 0 || py_fd <= 0) std::printf("python reference failed:\n%s\n", out.c_str());
  fs::remove_all(dir);
  return 0;
}
