// Reference statistics files: mu [d] F64, sigma [d,d] F64, n [1] I64 in a safetensors file whose metadata
// records how they were made (metric, network, weights sha256, preprocessing, dims, frames, fps, protocol,
// covariance convention, sample count, source). A stats file is only reused when every setting that
// changes the numbers agrees; otherwise loading refuses with the first differing key.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eval/metrics/frechet.h"

namespace vdf::eval {

using StatsMeta = std::map<std::string, std::string>;

// Keys that must agree between a stats file and the current settings (absent on both sides is fine).
const std::vector<std::string>& stats_identity_keys();

void save_stats(const std::filesystem::path& path, const Gaussian& g, const StatsMeta& meta);

struct LoadedStats {
  Gaussian gaussian;
  StatsMeta meta;
};
LoadedStats load_stats(const std::filesystem::path& path);

// Throws vdf::Error naming the file and the key when `have` (from a file) disagrees with `want`.
void check_stats_compatible(const StatsMeta& want, const StatsMeta& have, const std::string& where);

// Cache file name for a reference source + settings: "<metric>-<hash of identity keys + source>.safetensors".
std::filesystem::path stats_cache_path(const std::filesystem::path& cache_dir, const StatsMeta& want,
                                       const std::string& source_fingerprint);

// Fingerprint of a folder of inputs: sorted relative names, sizes and modification times.
std::string folder_fingerprint(const std::filesystem::path& dir, const std::vector<std::string>& files);

}  // namespace vdf::eval
