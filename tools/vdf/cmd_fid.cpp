// `vdf fid PATH1 PATH2`: like pytorch-fid's command line (python -m pytorch_fid). Each path is a folder of
// images (sorted; .bmp .jpg .jpeg .pgm .png .ppm .tif .tiff .webp) or a .safetensors statistics file.
// `--save-stats PATH1 PATH2` computes the statistics of folder PATH1 and saves them to PATH2 instead.
#include <cstdio>

#include "eval/metrics/features.h"
#include "eval/metrics/frechet.h"
#include "eval/metrics/stats_cache.h"
#include "eval/networks/extractors.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "tools/vdf/command.h"

namespace {

namespace fs = std::filesystem;
using namespace vdf::eval;

struct FidOptions {
  std::vector<std::string> paths;
  int64_t batch_size = 50;
  int64_t dims = 2048;
  std::string device = "auto";
  std::string weights;
  std::string preprocess = "pytorch-fid";
  std::string covariance = "unbiased";
  bool save_stats = false;
  int num_workers = 0;
};

StatsMeta settings(const InceptionExtractor& net, const FidOptions& o) {
  return {{"metric", "fid"},
          {"network", net.provenance().network},
          {"weights_sha256", net.provenance().sha256},
          {"preprocessing", to_string(parse_fid_preprocess(o.preprocess))},
          {"dims", std::to_string(o.dims)},
          {"covariance", o.covariance},
          {"frames_per_clip", "0"}};
}

Gaussian stats_of(const std::string& path, InceptionExtractor& net, const FidOptions& o, StatsMeta* meta_out) {
  const StatsMeta want = settings(net, o);
  if (fs::is_regular_file(path) && fs::path(path).extension() == ".safetensors") {
    auto s = load_stats(path);
    vdf::eval::StatsMeta have = s.meta;
    have.erase("frames_per_clip");
    StatsMeta w = want;
    w.erase("frames_per_clip");
    check_stats_compatible(w, have, path);
    if (meta_out) *meta_out = s.meta;
    return s.gaussian;
  }
  VDF_CHECK(fs::is_directory(path), "Invalid path: {}", path);
  auto files = list_files(path, is_image_file);
  VDF_CHECK(!files.empty(), "'{}' contains no images ({})", path, ".bmp .jpg .jpeg .pgm .png .ppm .tif .tiff .webp");
  ImageSource src;
  src.count = static_cast<int64_t>(files.size());
  src.get = [path, files](int64_t i) { return load_image(fs::path(path) / files[i]); };
  const int64_t bs = std::min<int64_t>(o.batch_size, src.count);
  if (bs < o.batch_size) VDF_WARN("batch size is bigger than the data size; setting batch size to data size");
  auto run = inception_features(net, src, parse_fid_preprocess(o.preprocess), o.dims, bs, false);
  if (meta_out) *meta_out = want;
  return gaussian_from_features(run.features, parse_cov_convention(o.covariance));
}

void run(const FidOptions& o) {
  VDF_CHECK(o.paths.size() == 2, "expected two paths, got {}", o.paths.size());
  auto net = InceptionExtractor::load(o.weights, resolve_device(o.device));
  if (o.save_stats) {
    VDF_CHECK(!fs::exists(o.paths[1]), "Existing output file: {}", o.paths[1]);
    StatsMeta meta;
    auto g = stats_of(o.paths[0], net, o, &meta);
    for (const auto& [k, v] : net.provenance().to_map()) meta[k] = v;
    meta["source"] = fs::absolute(o.paths[0]).string();
    save_stats(o.paths[1], g, meta);
    std::printf("saved statistics of %lld samples to %s\n", static_cast<long long>(g.n), o.paths[1].c_str());
    return;
  }
  auto a = stats_of(o.paths[0], net, o, nullptr);
  auto b = stats_of(o.paths[1], net, o, nullptr);
  FrechetOptions fo;
  fo.eps_fallback = o.covariance == "unbiased";
  auto r = frechet_distance(a, b, fo);
  std::printf("FID:  %.17g\n", r.distance);
  if (!net.provenance().warning.empty()) std::printf("WARNING: %s\n", net.provenance().warning.c_str());
}

void setup(CLI::App& app) {
  auto o = std::make_shared<FidOptions>();
  auto* cmd = app.add_subcommand("fid", "Fréchet Inception Distance between two image folders or statistics files "
                                        "(pytorch-fid command line)");
  cmd->add_option("path", o->paths, "Paths to the generated images or to .safetensors statistic files")->expected(2);
  cmd->add_option("--batch-size", o->batch_size, "Batch size to use")->capture_default_str();
  cmd->add_option("--dims", o->dims, "Dimensionality of Inception features to use (64, 192, 768, 2048)")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "Device to use: auto, cpu, cuda, cuda:N")->capture_default_str();
  cmd->add_option("--weights", o->weights,
                  "Inception weights: converted pt_inception-2015-12-05-6726825d .safetensors, NVIDIA "
                  "inception-2015-12-05.pt, or 'recipe' (test weights, non-standard)")
      ->required();
  cmd->add_option("--preprocess", o->preprocess, "pytorch-fid | clean")->capture_default_str();
  cmd->add_option("--covariance", o->covariance, "unbiased (np.cov) | biased (StyleGAN)")->capture_default_str();
  cmd->add_option("--num-workers", o->num_workers, "accepted for pytorch-fid compatibility; ignored")
      ->capture_default_str();
  cmd->add_flag("--save-stats", o->save_stats,
                "Generate an npz-like .safetensors archive from a folder of samples: PATH1 folder, PATH2 output file");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(fid, setup);
