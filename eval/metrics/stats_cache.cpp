#include "eval/metrics/stats_cache.h"

#include "framework/tensor_io/safetensors.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::eval {

namespace fs = std::filesystem;

const std::vector<std::string>& stats_identity_keys() {
  static const std::vector<std::string> keys = {"metric",    "network",   "weights_sha256", "preprocessing",
                                                "dims",      "frames",    "frame_stride",
                                                "protocol",  "covariance", "clip_offset",   "frames_per_clip"};
  return keys;
}

void save_stats(const fs::path& path, const Gaussian& g, const StatsMeta& meta) {
  tensor_io::TensorMap t{{"mu", to_tensor(g.mu)},
                       {"sigma", to_tensor(g.sigma)},
                       {"n", torch::tensor({g.n}, torch::kInt64)}};
  StatsMeta m = meta;
  m["format"] = "vdf-feature-stats-1";
  m["n"] = std::to_string(g.n);
  m["covariance"] = to_string(g.convention);
  m["dims"] = std::to_string(g.dims());
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  tensor_io::save_safetensors(path, t, m);
}

LoadedStats load_stats(const fs::path& path) {
  return with_context("reading statistics '" + path.string() + "'", [&] {
    LoadedStats s;
    auto t = tensor_io::load_safetensors(path, &s.meta);
    VDF_CHECK(t.count("mu") && t.count("sigma"), "not a statistics file (needs tensors 'mu' and 'sigma')");
    s.gaussian.mu = to_eigen_vector(t.at("mu"));
    s.gaussian.sigma = to_eigen_matrix(t.at("sigma"));
    VDF_CHECK(s.gaussian.sigma.rows() == s.gaussian.mu.size() && s.gaussian.sigma.cols() == s.gaussian.mu.size(),
              "'sigma' is {}x{} but 'mu' has {} entries", s.gaussian.sigma.rows(), s.gaussian.sigma.cols(),
              s.gaussian.mu.size());
    s.gaussian.n = t.count("n") ? t.at("n").item<int64_t>() : 0;
    s.gaussian.convention = s.meta.count("covariance") ? parse_cov_convention(s.meta.at("covariance")) : CovConvention::unbiased;
    return s;
  });
}

void check_stats_compatible(const StatsMeta& want, const StatsMeta& have, const std::string& where) {
  for (const auto& key : stats_identity_keys()) {
    auto w = want.find(key);
    auto h = have.find(key);
    if (w == want.end() && h == have.end()) continue;
    const std::string wv = w == want.end() ? "<unset>" : w->second;
    const std::string hv = h == have.end() ? "<unset>" : h->second;
    VDF_CHECK(wv == hv, "statistics '{}' were made with {}='{}' but this evaluation uses {}='{}'; refusing to mix "
                        "them (recompute the reference statistics with the current settings)",
              where, key, hv, key, wv);
  }
}

fs::path stats_cache_path(const fs::path& cache_dir, const StatsMeta& want, const std::string& source_fingerprint) {
  std::string text = source_fingerprint;
  for (const auto& key : stats_identity_keys())
    if (want.count(key)) text += "\n" + key + "=" + want.at(key);
  const std::string metric = want.count("metric") ? want.at("metric") : "stats";
  return cache_dir / (metric + "-" + sha256_hex(text).substr(0, 16) + ".safetensors");
}

std::string folder_fingerprint(const fs::path& dir, const std::vector<std::string>& files) {
  std::string text = fs::absolute(dir).string();
  for (const auto& f : files) {
    const fs::path p = dir / f;
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    const auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
    text += "\n" + f + " " + std::to_string(size) + " " + std::to_string(mtime);
  }
  return sha256_hex(text);
}

}  // namespace vdf::eval
