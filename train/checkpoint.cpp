#include "train/checkpoint.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/log.h"
#include "framework/distributed/sharded.h"
#include "framework/tensor_io/safetensors.h"

namespace vdf::train {

std::string checkpoint_name(int64_t step) { return fmt::format("step_{:07d}", step); }

namespace {

bool parse_step_dir(const std::string& name, int64_t* step) {
  if (name.size() < 6 || name.compare(0, 5, "step_") != 0) return false;
  for (size_t i = 5; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  *step = std::stoll(name.substr(5));
  return true;
}

nlohmann::json state_json(const CheckpointState& s) {
  return {{"format", kCheckpointFormat},
          {"step", s.step},
          {"optimizer_steps", s.optimizer_steps},
          {"skipped_total", s.skipped_total},
          {"consumed_samples", s.consumed_samples},
          {"sampler", {{"epoch", s.sampler.epoch}, {"batch", s.sampler.batch}}},
          {"lr", s.lr},
          {"world_size", s.world_size},
          {"global_batches", s.global_batches}};
}

std::string optimizer_shard_file(int rank) { return fmt::format("optimizer.rank{:05d}.safetensors", rank); }

bool is_optimizer_shard_file(const std::string& name) {
  return name.rfind("optimizer.rank", 0) == 0 && name.size() > 26 &&
         name.compare(name.size() - 12, 12, ".safetensors") == 0;
}

// manifest.json: {"format": 2, "files": {"<name>": {"bytes": N, "sha256": "<hex>"}}} over every other
// regular file of the directory.
void write_manifest(const fs::path& dir) {
  nlohmann::json files = nlohmann::json::object();
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "manifest.json") entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& f : entries)
    files[f.filename().string()] = {{"bytes", static_cast<int64_t>(fs::file_size(f))}, {"sha256", sha256_file(f)}};
  write_file_atomic(dir / "manifest.json", nlohmann::json{{"format", kCheckpointFormat}, {"files", files}}.dump(2) + "\n");
}

// Renames `dir` to a ".tmp-old-*" name (atomic: it disappears from view at once), then deletes it.
void retire(const fs::path& root, const fs::path& dir) {
  const fs::path away = root / fmt::format(".tmp-old-{}-{}", dir.filename().string(), ::getpid());
  std::error_code ec;
  fs::remove_all(away, ec);
  fs::rename(dir, away);
  fs::remove_all(away, ec);
}

}  // namespace

std::vector<fs::path> list_checkpoints(const fs::path& root) {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return {};
  for (const auto& entry : fs::directory_iterator(root)) {
    int64_t step;
    if (entry.is_directory() && parse_step_dir(entry.path().filename().string(), &step) &&
        fs::exists(entry.path() / "state.json"))
      found.emplace_back(step, entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

std::optional<fs::path> find_latest_checkpoint(const fs::path& root) {
  auto all = list_checkpoints(root);
  if (all.empty()) return std::nullopt;
  std::error_code ec;
  if (fs::exists(root / "latest", ec)) {
    std::string name = read_file(root / "latest");
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    fs::path named = root / name;
    // `latest` is written after the directory, so a newer directory may exist; take the newest.
    if (fs::exists(named / "state.json") && named == all.back()) return named;
  }
  return all.back();
}

void remove_checkpoint_temporaries(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".tmp-", 0) == 0 || name.rfind("latest.tmp", 0) == 0) fs::remove_all(entry.path(), ec);
  }
}

fs::path save_checkpoint(const fs::path& root, const CheckpointState& s, int64_t keep_last,
                         const CheckpointWriter& w) {
  namespace st = tensor_io;
  const auto barrier = [&] { if (w.barrier) w.barrier(); };
  const bool main = w.rank == 0;
  const std::string name = checkpoint_name(s.step);
  // One temporary directory all ranks write into (shared file system); leftovers of a crashed writer
  // are removed at start (remove_checkpoint_temporaries) and here.
  const fs::path tmp = root / fmt::format(".tmp-{}", name);
  const fs::path final_dir = root / name;
  return with_context(fmt::format("writing checkpoint {}", final_dir.string()), [&] {
    if (main) {
      fs::create_directories(root);
      fs::remove_all(tmp);
      fs::create_directories(tmp);
    }
    barrier();
    tensor_io::Metadata meta{{"format", "vdf-checkpoint"}, {"step", std::to_string(s.step)}};
    if (w.sharded_optimizer)
      st::save_safetensors(tmp / optimizer_shard_file(w.rank), to_cpu(s.optimizer), meta);
    if (main) {
      st::save_safetensors(tmp / "model.safetensors", to_cpu(s.model), meta);
      st::save_safetensors(tmp / "ema.safetensors", to_cpu(s.ema), meta);
      if (!w.sharded_optimizer) st::save_safetensors(tmp / "optimizer.safetensors", to_cpu(s.optimizer), meta);
      st::save_safetensors(tmp / "rng.safetensors", to_cpu(s.rng), meta);
      write_file_atomic(tmp / "config.yaml", s.config_yaml);
      write_file_atomic(tmp / "state.json", state_json(s).dump(2) + "\n");
    }
    barrier();  // every shard is on disk (save_safetensors fsyncs)
    if (!main) return final_dir;
    write_manifest(tmp);
    fsync_path(tmp);
    // A directory of the same name (a re-run of this step after a crash) is first renamed away, so no
    // half-deleted step_* directory is ever visible; the same for checkpoints beyond keep_last.
    if (fs::exists(final_dir)) retire(root, final_dir);
    commit_rename(tmp, final_dir);
    write_file_atomic(root / "latest", name + "\n");
    auto all = list_checkpoints(root);
    for (size_t i = 0; i + static_cast<size_t>(keep_last) < all.size(); ++i) retire(root, all[i]);
    return final_dir;
  });
}

std::string verify_checkpoint(const fs::path& dir) {
  const fs::path manifest = dir / "manifest.json";
  if (!fs::exists(manifest)) {
    if (!fs::exists(dir / "state.json")) return "state.json: missing (not a complete checkpoint)";
    try {
      const auto j = nlohmann::json::parse(read_file(dir / "state.json"));
      if (j.at("format").get<int>() >= 2) return "manifest.json: missing";
    } catch (const std::exception& e) {
      return fmt::format("state.json: unreadable ({})", e.what());
    }
    return "";  // format 1: no hashes recorded
  }
  nlohmann::json files;
  try {
    files = nlohmann::json::parse(read_file(manifest)).at("files");
  } catch (const std::exception& e) {
    return fmt::format("manifest.json: unreadable ({})", e.what());
  }
  for (const auto& [file, rec] : files.items()) {
    const fs::path f = dir / file;
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) return fmt::format("{}: missing", file);
    const auto bytes = static_cast<int64_t>(fs::file_size(f, ec));
    const auto want = rec.at("bytes").get<int64_t>();
    if (bytes != want)
      return fmt::format("{}: {} bytes, manifest says {} ({})", file, bytes, want, bytes < want ? "truncated" : "grown");
    if (sha256_file(f) != rec.at("sha256").get<std::string>())
      return fmt::format("{}: SHA-256 differs from the manifest (corrupted)", file);
  }
  return "";
}

std::optional<fs::path> choose_resume_checkpoint(const fs::path& root, const std::string& explicit_dir) {
  if (!explicit_dir.empty()) {
    fs::path dir = explicit_dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) dir = root / explicit_dir;
    VDF_CHECK(fs::is_directory(dir, ec), "train.resume_from '{}': no such checkpoint directory (also looked in {})",
              explicit_dir, root.string());
    const std::string problem = verify_checkpoint(dir);
    VDF_CHECK(problem.empty(), "train.resume_from '{}': checkpoint {} is damaged: {}", explicit_dir, dir.string(),
              problem);
    return dir;
  }
  auto all = list_checkpoints(root);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const std::string problem = verify_checkpoint(*it);
    if (problem.empty()) return *it;
    VDF_WARN("checkpoint {} is damaged ({}): falling back to an older one", it->string(), problem);
  }
  if (!all.empty())
    fail("every checkpoint under {} is damaged (see the warnings above); name one with train.resume_from or "
         "start a new run", root.string());
  return std::nullopt;
}

TensorMap reshard_optimizer_state(const TensorMap& saved, const TensorMap& model, const std::vector<std::string>& wanted) {
  // Consolidate: kind ("exp_avg" / "exp_avg_sq") + parameter -> flat tensor, and how many elements the
  // saved tensors covered.
  struct Full {
    torch::Tensor flat;
    int64_t covered = 0;
  };
  std::map<std::string, Full> full;
  for (const auto& [key, value] : saved) {
    const bool sq = key.rfind("exp_avg_sq.", 0) == 0;
    const bool avg = !sq && key.rfind("exp_avg.", 0) == 0;
    VDF_CHECK(avg || sq, "optimizer state: unexpected tensor '{}'", key);
    const std::string kind = sq ? "exp_avg_sq" : "exp_avg";
    const std::string rest = key.substr(kind.size() + 1);
    std::string param = rest;
    int64_t b = 0, e = -1;
    const bool piece = distributed::parse_piece_name(rest, &param, &b, &e);
    auto m = model.find(param);
    VDF_CHECK(m != model.end(), "optimizer state: tensor '{}' names no parameter of the checkpoint's model", key);
    const int64_t numel = m->second.numel();
    if (!piece) {
      b = 0;
      e = numel;
    }
    VDF_CHECK(e <= numel && value.numel() == e - b, "optimizer state: tensor '{}' has {} elements for range [{}, {}) "
              "of a parameter with {}", key, value.numel(), b, e, numel);
    Full& f = full[kind + "." + param];
    if (!f.flat.defined()) f.flat = torch::zeros({numel}, value.options());
    f.flat.narrow(0, b, e - b).copy_(value.reshape({-1}));
    f.covered += e - b;
  }
  for (const auto& [key, f] : full) {
    const std::string param = key.substr(key.find('.') + 1);
    VDF_CHECK(f.covered == model.at(param).numel(),
              "optimizer state of '{}' covers {} of its {} elements (an optimizer shard file is missing or "
              "overlaps another)", key, f.covered, model.at(param).numel());
  }
  TensorMap out;
  for (const auto& name : wanted) {
    std::string param = name;
    int64_t b = 0, e = -1;
    const bool piece = distributed::parse_piece_name(name, &param, &b, &e);
    for (const std::string kind : {"exp_avg", "exp_avg_sq"}) {
      auto it = full.find(kind + "." + param);
      if (it == full.end()) continue;  // never updated (state starts at the first update)
      out[kind + "." + name] =
          piece ? it->second.flat.narrow(0, b, e - b).clone() : it->second.flat.view(model.at(param).sizes());
    }
  }
  return out;
}

CheckpointState read_checkpoint_state(const fs::path& dir) {
  return with_context(fmt::format("reading checkpoint {}", dir.string()), [&] {
    CheckpointState s;
    VDF_CHECK(fs::exists(dir / "state.json"), "no state.json (not a complete checkpoint directory)");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(dir / "state.json"));
      const int format = j.at("format").get<int>();
      VDF_CHECK(format == 1 || format == kCheckpointFormat, "state.json: format {} is not supported (expected 1..{})",
                j.at("format").dump(), kCheckpointFormat);
      s.step = j.at("step").get<int64_t>();
      s.optimizer_steps = j.at("optimizer_steps").get<int64_t>();
      s.skipped_total = j.at("skipped_total").get<int64_t>();
      s.consumed_samples = j.at("consumed_samples").get<int64_t>();
      s.sampler.epoch = j.at("sampler").at("epoch").get<int64_t>();
      s.sampler.batch = j.at("sampler").at("batch").get<int64_t>();
      s.lr = j.at("lr").get<double>();
      s.world_size = j.at("world_size").get<int>();
      if (j.contains("global_batches")) s.global_batches = j.at("global_batches").get<std::map<std::string, int64_t>>();
    } catch (const nlohmann::json::exception& e) {
      fail("state.json: {}", e.what());
    }
    s.config_yaml = read_file(dir / "config.yaml");
    return s;
  });
}

CheckpointState load_checkpoint(const fs::path& dir, bool weights_only) {
  CheckpointState s = read_checkpoint_state(dir);
  return with_context(fmt::format("reading checkpoint {}", dir.string()), [&] {
    s.model = tensor_io::load_safetensors(dir / "model.safetensors");
    s.ema = tensor_io::load_safetensors(dir / "ema.safetensors");
    if (!weights_only) {
      // Replicated (optimizer.safetensors) or sharded (optimizer.rank*.safetensors, any number of ranks):
      // the keys of the shards are disjoint pieces, so their union is the whole state.
      if (fs::exists(dir / "optimizer.safetensors")) s.optimizer = tensor_io::load_safetensors(dir / "optimizer.safetensors");
      for (const auto& e : fs::directory_iterator(dir)) {
        if (!is_optimizer_shard_file(e.path().filename().string())) continue;
        for (auto& [k, v] : tensor_io::load_safetensors(e.path())) {
          VDF_CHECK(!s.optimizer.count(k), "{}: optimizer tensor '{}' also appears in another optimizer file",
                    e.path().string(), k);
          s.optimizer[k] = v;
        }
      }
      s.rng = tensor_io::load_safetensors(dir / "rng.safetensors");
    }
    return s;
  });
}

TensorMap capture_rng_state() {
  TensorMap out;
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    out["cpu"] = gen.get_state();
  }
  if (torch::cuda::is_available()) {
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
      auto gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      out[fmt::format("cuda.{}", i)] = gen.get_state();
    }
  }
  return out;
}

void restore_rng_state(const TensorMap& rng) {
  for (const auto& [key, state] : rng) {
    if (key == "cpu") {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state);
    } else if (key.rfind("cuda.", 0) == 0) {
      const int64_t i = std::stoll(key.substr(5));
      if (!torch::cuda::is_available() || i >= static_cast<int64_t>(torch::cuda::device_count())) continue;
      auto gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state);
    } else {
      fail("rng state: unexpected tensor '{}'", key);
    }
  }
}

}  // namespace vdf::train
