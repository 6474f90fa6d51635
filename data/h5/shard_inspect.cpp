#include "data/h5/shard_inspect.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <optional>
#include <ostream>

#include "data/h5/shard_reader.h"
#include "framework/core/error.h"
#include "framework/h5/h5.h"

namespace vdf::data {

namespace fs = std::filesystem;

bool is_shard_path(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / kIndexFileName)) return true;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.path().extension() == ".h5") return true;
    return false;
  }
  if (!fs::is_regular_file(path, ec) || H5Fis_hdf5(path.c_str()) <= 0) return false;
  try {
    h5::FileId f = h5::open_file(path);
    return h5::has_attr(f.get(), "format") && h5::attr_string(f.get(), "format") == kShardFormatName;
  } catch (const Error&) {
    return false;
  }
}

int inspect_shards(const fs::path& path, bool verify, bool json, std::ostream& out) {
  std::vector<fs::path> files = list_shards(path);
  int64_t samples = 0, inputs = 0, accepted = 0, bytes = 0, problems = 0;
  std::map<std::string, int64_t> buckets, reasons;
  nlohmann::json shards_json = nlohmann::json::array();
  std::vector<std::string> lines;
  std::optional<ShardHeader> first;
  for (const auto& f : files) {
    nlohmann::json sj = {{"file", f.string()}};
    try {
      ShardInfo info = read_shard_info(f);
      if (!first) first = info.header;
      else {
        try {
          check_compatible(info.header, &first->vae, &first->text, "shard '" + f.string() + "'");
        } catch (const Error& e) {
          ++problems;
          lines.push_back(fmt::format("PROBLEM {}", e.what()));
          sj["problems"].push_back(e.what());
        }
      }
      samples += int64_t(info.samples.size());
      inputs += int64_t(info.inputs.size());
      bytes += info.file_bytes;
      for (const auto& s : info.samples) buckets[s.bucket]++;
      for (const auto& o : info.inputs) {
        if (o.accepted) ++accepted;
        else reasons[o.reason]++;
      }
      sj["samples"] = info.samples.size();
      sj["inputs"] = info.inputs.size();
      sj["bytes"] = info.file_bytes;
      lines.push_back(fmt::format("  {}  {} samples, {} inputs, {:.2f} MiB", f.filename().string(),
                                  info.samples.size(), info.inputs.size(), info.file_bytes / 1048576.0));
    } catch (const std::exception& e) {
      ++problems;
      lines.push_back(fmt::format("PROBLEM {}", e.what()));
      sj["problems"].push_back(e.what());
    }
    if (verify) {
      ShardCheck c = verify_shard(f);
      for (const auto& p : c.problems) {
        // read_shard_info already reported unreadable files
        if (!sj.contains("samples")) break;
        ++problems;
        lines.push_back(fmt::format("PROBLEM {}: {}", f.filename().string(), p));
        sj["problems"].push_back(p);
      }
      sj["verified_samples"] = c.samples;
    }
    shards_json.push_back(sj);
  }
  if (json) {
    nlohmann::json j = {{"path", path.string()},   {"shards", shards_json}, {"samples", samples},
                        {"inputs", inputs},         {"accepted", accepted},  {"rejected_by_reason", reasons},
                        {"buckets", buckets},       {"bytes", bytes},        {"verified", verify},
                        {"problems", problems}};
    if (first) {
      j["vae"] = to_json(first->vae);
      j["text_encoder"] = to_json(first->text);
      j["latent_dtype"] = first->latent_dtype;
      j["compression"] = first->compression;
      j["format_version"] = first->format_version;
    }
    out << j.dump(2) << "\n";
  } else {
    out << fmt::format("{}: {} shard(s), {} samples from {} inputs ({} accepted), {:.2f} MiB\n", path.string(),
                       files.size(), samples, inputs, accepted, bytes / 1048576.0);
    if (first) {
      const auto& v = first->vae;
      const auto& t = first->text;
      out << fmt::format("  format version {}, latents {}, compression {}\n", first->format_version,
                         first->latent_dtype, first->compression);
      out << fmt::format("  VAE {} (sha256 {}), {} channels, compression t{} h{} w{}, scale {} shift {}, pixels {}\n",
                         v.name, v.weights_sha256.substr(0, 12), v.latent_channels, v.ct, v.ch, v.cw, v.scale,
                         v.shift, v.pixel_range);
      if (!v.channel_scale.empty())
        out << fmt::format("  per-channel normalization: shift [{}], scale [{}]\n", fmt::join(v.channel_shift, ", "),
                           fmt::join(v.channel_scale, ", "));
      out << fmt::format("  text encoder {} (sha256 {}), tokens {}x{}, pooled {}\n", t.name,
                         t.weights_sha256.substr(0, 12), t.max_length, t.dim, t.pooled_dim);
    }
    std::string b;
    for (const auto& [k, n] : buckets) b += fmt::format("{}{}: {}", b.empty() ? "" : ", ", k, n);
    out << "  buckets: " << (b.empty() ? "none" : b) << "\n";
    if (!reasons.empty()) {
      std::string r;
      for (const auto& [k, n] : reasons) r += fmt::format("{}{} {}", r.empty() ? "" : ", ", n, k);
      out << "  rejected inputs: " << r << "\n";
    }
    for (const auto& l : lines) out << l << "\n";
    if (verify)
      out << (problems == 0 ? fmt::format("verified: every sample of {} shard(s) is fine\n", files.size())
                            : fmt::format("verification FAILED: {} problem(s)\n", problems));
  }
  return problems == 0 ? 0 : 1;
}

}  // namespace vdf::data
