// `vdf inspect` for latent shards: a summary of a shard or a folder of shards (samples, buckets, models,
// attributes, input outcomes) and, with verify, a full check of every sample (data/h5/shard_reader.h
// verify_shard). Returns the process exit code: 0 when everything is fine, 1 when a problem was found.
#pragma once
#include <filesystem>
#include <iosfwd>

namespace vdf::data {

// True when `path` looks like a latent shard (HDF5 with format=vdf-latent-shard) or a folder holding
// shards or an index.json.
bool is_shard_path(const std::filesystem::path& path);

int inspect_shards(const std::filesystem::path& path, bool verify, bool json, std::ostream& out);

}  // namespace vdf::data
