#include "data/h5/shard_reader.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "data/h5/shard_writer.h"
#include "framework/h5/h5.h"

namespace vdf::data {

namespace fs = std::filesystem;

namespace {

ShardHeader read_header(hid_t f, const std::string& what) {
  VDF_CHECK(h5::has_attr(f, "format") && h5::attr_string(f, "format") == kShardFormatName,
            "{}: not a vdf latent shard (no format='{}' attribute; incomplete or foreign file)", what,
            kShardFormatName);
  ShardHeader h;
  h.format_version = h5::attr_int(f, "format_version");
  VDF_CHECK(h.format_version == kShardFormatVersion, "{}: shard format version {} is not supported (expected {})",
            what, h.format_version, kShardFormatVersion);
  h.vae.name = h5::attr_string(f, "vae_name");
  h.vae.weights_sha256 = h5::attr_string(f, "vae_weights_sha256");
  h.vae.latent_channels = h5::attr_int(f, "vae_latent_channels");
  h.vae.ct = h5::attr_int(f, "vae_ct");
  h.vae.ch = h5::attr_int(f, "vae_ch");
  h.vae.cw = h5::attr_int(f, "vae_cw");
  h.vae.scale = h5::attr_double(f, "vae_scale");
  h.vae.shift = h5::attr_double(f, "vae_shift");
  for (auto [key, out] : {std::pair{"vae_channel_shift", &h.vae.channel_shift}, std::pair{"vae_channel_scale", &h.vae.channel_scale}}) {
    if (!h5::has_attr(f, key)) continue;  // shards of VAEs without per-channel normalization (and older shards)
    try {
      *out = nlohmann::json::parse(h5::attr_string(f, key)).get<std::vector<double>>();
    } catch (const nlohmann::json::exception& e) {
      fail("{}: attribute '{}' is not a JSON array of numbers ({})", what, key, e.what());
    }
  }
  h.vae.pixel_range = h5::attr_string(f, "vae_pixel_range");
  h.text.name = h5::attr_string(f, "text_name");
  h.text.weights_sha256 = h5::attr_string(f, "text_weights_sha256");
  h.text.max_length = h5::attr_int(f, "text_max_length");
  h.text.dim = h5::attr_int(f, "text_dim");
  h.text.pooled_dim = h5::attr_int(f, "text_pooled_dim");
  h.latent_dtype = h5::attr_string(f, "latent_dtype");
  h.compression = h5::attr_string(f, "compression");
  h.config_yaml = h5::attr_string(f, "ingest_config");
  h.config_sha256 = h5::attr_string(f, "config_sha256");
  h.rank = h5::attr_int(f, "rank");
  h.world_size = h5::attr_int(f, "world_size");
  h.shard_index = h5::attr_int(f, "shard_index");
  h.vdf_version = h5::attr_string(f, "vdf_version");
  return h;
}

ShardInfo read_info(hid_t f, const fs::path& path) {
  const std::string what = "shard '" + path.string() + "'";
  return with_context(what, [&] {
    ShardInfo info;
    info.path = path;
    info.header = read_header(f, what);
    const int64_t n = h5::attr_int(f, "num_samples");
    h5::GroupId m = h5::open_group(f, "meta");
    const hid_t g = m.get();
    auto strs = [&](const char* k) {
      auto v = h5::read_strings(g, k);
      VDF_CHECK(int64_t(v.size()) == n, "meta/{} has {} entries, expected {}", k, v.size(), n);
      return v;
    };
    auto nums = [&](const char* k, torch::ScalarType t) {
      auto v = h5::read_tensor(g, k).to(t).contiguous();
      VDF_CHECK(v.size(0) == n, "meta/{} has {} entries, expected {}", k, v.size(0), n);
      return v;
    };
    auto source = strs("source"), input_id = strs("input_id"), caption = strs("caption"),
         content = strs("content_sha256"), src_hash = strs("source_sha256"), bucket = strs("bucket"),
         pixel_bucket = strs("pixel_bucket"), signature = strs("signature"),
         lat_hash = strs("latent_sha256");
    auto start = nums("start_s", torch::kFloat64), end = nums("end_s", torch::kFloat64),
         fps = nums("fps", torch::kFloat64), frames = nums("frames", torch::kInt64),
         clip = nums("clip_index", torch::kInt64), row = nums("input_row", torch::kInt64),
         shape = nums("latent_shape", torch::kInt64);
    VDF_CHECK(shape.dim() == 2 && shape.size(1) == 4, "meta/latent_shape must be [N,4]");
    info.samples.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      SampleMeta& s = info.samples[i];
      s.source = source[i];
      s.input_id = input_id[i];
      s.caption = caption[i];
      s.content_sha256 = content[i];
      s.source_sha256 = src_hash[i];
      s.bucket = bucket[i];
      s.pixel_bucket = pixel_bucket[i];
      s.signature = signature[i];
      s.latent_sha256 = lat_hash[i];
      s.start_s = start[i].item<double>();
      s.end_s = end[i].item<double>();
      s.fps = fps[i].item<double>();
      s.frames = frames[i].item<int64_t>();
      s.clip_index = clip[i].item<int64_t>();
      s.input_row = row[i].item<int64_t>();
      s.latent_shape = {shape[i][0].item<int64_t>(), shape[i][1].item<int64_t>(), shape[i][2].item<int64_t>(),
                        shape[i][3].item<int64_t>()};
    }
    for (const auto& line : h5::read_strings(f, "inputs"))
      info.inputs.push_back(input_outcome_from_json(nlohmann::json::parse(line)));
    std::error_code ec;
    info.file_bytes = int64_t(fs::file_size(path, ec));
    return info;
  });
}

}  // namespace

ShardInfo read_shard_info(const fs::path& path) {
  h5::FileId f = h5::open_file(path);
  return read_info(f.get(), path);
}

struct ShardFile::Impl {
  h5::FileId file;
};

ShardFile::ShardFile(const fs::path& path) : impl_(std::make_unique<Impl>()) {
  impl_->file = h5::open_file(path);
  info_ = read_info(impl_->file.get(), path);
}
ShardFile::~ShardFile() = default;

ShardRecord ShardFile::read(int64_t index, bool with_logvar) const {
  VDF_CHECK(index >= 0 && index < size(), "shard '{}': sample {} out of range (size {})", info_.path.string(), index,
            size());
  return with_context(fmt::format("shard '{}' sample {}", info_.path.string(), index), [&] {
    const std::string g = fmt::format("samples/{:06d}/", index);
    const hid_t f = impl_->file.get();
    ShardRecord r;
    r.latents = h5::read_tensor(f, g + "latents");
    if (with_logvar && h5::exists(f, g + "logvar")) r.logvar = h5::read_tensor(f, g + "logvar");
    r.text = h5::read_tensor(f, g + "text");
    r.text_mask = h5::read_tensor(f, g + "text_mask").to(torch::kBool);
    r.pooled = h5::read_tensor(f, g + "pooled");
    r.meta = info_.samples[index];
    return r;
  });
}

std::vector<fs::path> list_shards(const fs::path& p) {
  VDF_CHECK(fs::exists(p), "'{}' does not exist", p.string());
  if (fs::is_regular_file(p)) return {p};
  std::vector<fs::path> out;
  const fs::path index = p / kIndexFileName;
  if (fs::exists(index)) {
    auto j = with_context("reading '" + index.string() + "'", [&] { return nlohmann::json::parse(read_file(index)); });
    for (const auto& s : j.at("shards")) {
      fs::path sp = p / s.at("file").get<std::string>();
      VDF_CHECK(fs::exists(sp), "'{}' lists shard '{}', which does not exist", index.string(), sp.string());
      out.push_back(sp);
    }
    return out;
  }
  for (const auto& e : fs::directory_iterator(p))
    if (e.is_regular_file() && e.path().extension() == ".h5") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

int64_t write_index(const fs::path& dir) {
  const fs::path lock_path = dir / ".index.lock";
  int fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR, 0644);
  VDF_CHECK(fd >= 0, "cannot open lock file '{}'", lock_path.string());
  ::flock(fd, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    }
  } unlock{fd};
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".h5") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  nlohmann::json shards = nlohmann::json::array();
  int64_t total = 0, inputs = 0;
  nlohmann::json vae, text;
  for (const auto& f : files) {
    ShardInfo info = read_shard_info(f);
    const int64_t n = int64_t(info.samples.size());
    shards.push_back({{"file", f.filename().string()},
                      {"samples", n},
                      {"inputs", int64_t(info.inputs.size())},
                      {"rank", info.header.rank},
                      {"world_size", info.header.world_size},
                      {"shard_index", info.header.shard_index},
                      {"bytes", info.file_bytes}});
    total += n;
    inputs += int64_t(info.inputs.size());
    if (vae.is_null()) {
      vae = to_json(info.header.vae);
      text = to_json(info.header.text);
    }
  }
  nlohmann::json j = {{"format", "vdf-latent-index"}, {"format_version", kShardFormatVersion},
                      {"total_samples", total},       {"total_inputs", inputs},
                      {"vae", vae},                   {"text_encoder", text},
                      {"shards", shards}};
  write_file_atomic(dir / kIndexFileName, j.dump(2) + "\n");
  return int64_t(files.size());
}

ShardDataset::ShardDataset(const fs::path& dir_or_file, ShardDatasetOptions options) : options_(std::move(options)) {
  open(list_shards(dir_or_file));
}

ShardDataset::ShardDataset(const std::vector<fs::path>& shards, ShardDatasetOptions options)
    : options_(std::move(options)) {
  open(shards);
}

void ShardDataset::open(const std::vector<fs::path>& shards) {
  paths_ = shards;
  for (size_t s = 0; s < shards.size(); ++s) {
    auto file = std::make_unique<ShardFile>(shards[s]);
    const ShardHeader& h = file->info().header;
    const std::string what = "shard '" + shards[s].string() + "'";
    check_compatible(h, options_.expected_vae ? &*options_.expected_vae : nullptr,
                     options_.expected_text ? &*options_.expected_text : nullptr, what);
    if (s == 0) header_ = h;
    else check_compatible(h, &header_.vae, &header_.text, what + " (compared with '" + shards[0].string() + "')");
    for (int64_t i = 0; i < file->size(); ++i) {
      const int64_t global = int64_t(entries_.size());
      entries_.emplace_back(int32_t(s), i);
      buckets_[file->info().samples[i].bucket].push_back(global);
    }
    files_.push_back(std::move(file));
  }
}

ShardRecord ShardDataset::get(int64_t index) const {
  VDF_CHECK(index >= 0 && index < size(), "sample {} out of range (dataset has {})", index, size());
  const auto [s, i] = entries_[index];
  std::lock_guard<std::mutex> lock(mutex_);  // HDF5 serializes anyway; keep file handles single-user
  return files_[s]->read(i, options_.with_logvar);
}

const SampleMeta& ShardDataset::meta(int64_t index) const {
  VDF_CHECK(index >= 0 && index < size(), "sample {} out of range (dataset has {})", index, size());
  const auto [s, i] = entries_[index];
  return files_[s]->info().samples[i];
}

std::string ShardDataset::bucket_of(int64_t index) const { return meta(index).bucket; }

std::string ShardDataset::describe() const {
  return fmt::format("latent shards: {} samples in {} shard(s), {} bucket(s), VAE {}, text encoder {}", size(),
                     paths_.size(), buckets_.size(), header_.vae.name, header_.text.name);
}

std::vector<int64_t> ShardDataset::shuffled(uint64_t seed, int64_t epoch) const {
  std::vector<int64_t> order(entries_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + uint64_t(epoch));
  // Fisher-Yates with our own index draws: std::shuffle's use of the engine is implementation-defined.
  for (size_t i = order.size(); i > 1; --i) {
    const uint64_t j = rng() % i;
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

ShardCheck verify_shard(const fs::path& path) {
  ShardCheck check;
  check.path = path;
  std::unique_ptr<ShardFile> file;
  try {
    file = std::make_unique<ShardFile>(path);
  } catch (const std::exception& e) {
    check.problems.push_back(e.what());
    return check;
  }
  const ShardInfo& info = file->info();
  const ShardHeader& h = info.header;
  const auto want_dtype = h.latent_dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat16;
  std::map<int64_t, int64_t> clips_per_row;
  for (int64_t i = 0; i < file->size(); ++i) {
    const SampleMeta& m = info.samples[i];
    clips_per_row[m.input_row]++;
    auto problem = [&](const std::string& text) { check.problems.push_back(fmt::format("sample {}: {}", i, text)); };
    ShardRecord r;
    try {
      r = file->read(i);
    } catch (const std::exception& e) {
      problem(e.what());
      continue;
    }
    ++check.samples;
    if (r.latents.sizes().vec() != m.latent_shape)
      problem(fmt::format("latents shape {} differs from metadata {}", fmt::join(r.latents.sizes(), "x"),
                          fmt::join(m.latent_shape, "x")));
    if (r.latents.scalar_type() != want_dtype)
      problem(fmt::format("latents dtype {} differs from the file's latent_dtype '{}'",
                          c10::toString(r.latents.scalar_type()), h.latent_dtype));
    if (h.vae.latent_channels > 0 && r.latents.dim() == 4 && r.latents.size(0) != h.vae.latent_channels)
      problem(fmt::format("latents have {} channels, the VAE has {}", r.latents.size(0), h.vae.latent_channels));
    if (!torch::isfinite(r.latents.to(torch::kFloat32)).all().item<bool>()) problem("latents hold NaN or Inf");
    if (tensor_sha256(r.latents) != m.latent_sha256) problem("latent SHA-256 does not match the metadata");
    if (r.text.dim() != 2 || r.text.size(0) != h.text.max_length || r.text.size(1) != h.text.dim)
      problem(fmt::format("text embedding shape {} differs from {}x{}", fmt::join(r.text.sizes(), "x"),
                          h.text.max_length, h.text.dim));
    else if (!torch::isfinite(r.text.to(torch::kFloat32)).all().item<bool>())
      problem("text embedding holds NaN or Inf");
    if (r.text_mask.dim() != 1 || r.text_mask.size(0) != h.text.max_length) problem("text_mask has the wrong length");
    if (r.pooled.dim() != 1 || r.pooled.size(0) != h.text.pooled_dim)
      problem(fmt::format("pooled has shape {}, expected {}", fmt::join(r.pooled.sizes(), "x"), h.text.pooled_dim));
    else if (!torch::isfinite(r.pooled.to(torch::kFloat32)).all().item<bool>())
      problem("pooled embedding holds NaN or Inf");
  }
  for (const auto& o : info.inputs) {
    const int64_t got = clips_per_row.count(o.row) ? clips_per_row[o.row] : 0;
    if (got != o.clips)
      check.problems.push_back(
          fmt::format("input row {} ('{}') claims {} clips, shard holds {}", o.row, o.path, o.clips, got));
    if (!o.accepted && o.reason.empty())
      check.problems.push_back(fmt::format("input row {} is rejected without a reason", o.row));
  }
  return check;
}

}  // namespace vdf::data
