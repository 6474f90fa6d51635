#include "train/checkpoint.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
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
          {"world_size", s.world_size}};
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

fs::path save_checkpoint(const fs::path& root, const CheckpointState& s, int64_t keep_last) {
  namespace st = tensor_io;
  fs::create_directories(root);
  const std::string name = checkpoint_name(s.step);
  const fs::path tmp = root / fmt::format(".tmp-{}-{}", name, ::getpid());
  const fs::path final_dir = root / name;
  return with_context(fmt::format("writing checkpoint {}", final_dir.string()), [&] {
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    tensor_io::Metadata meta{{"format", "vdf-checkpoint"}, {"step", std::to_string(s.step)}};
    st::save_safetensors(tmp / "model.safetensors", to_cpu(s.model), meta);
    st::save_safetensors(tmp / "ema.safetensors", to_cpu(s.ema), meta);
    st::save_safetensors(tmp / "optimizer.safetensors", to_cpu(s.optimizer), meta);
    st::save_safetensors(tmp / "rng.safetensors", to_cpu(s.rng), meta);
    write_file_atomic(tmp / "config.yaml", s.config_yaml);
    write_file_atomic(tmp / "state.json", state_json(s).dump(2) + "\n");
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

CheckpointState load_checkpoint(const fs::path& dir, bool weights_only) {
  return with_context(fmt::format("reading checkpoint {}", dir.string()), [&] {
    CheckpointState s;
    VDF_CHECK(fs::exists(dir / "state.json"), "no state.json (not a complete checkpoint directory)");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(dir / "state.json"));
      VDF_CHECK(j.at("format").get<int>() == kCheckpointFormat, "state.json: format {} is not supported (expected {})",
                j.at("format").dump(), kCheckpointFormat);
      s.step = j.at("step").get<int64_t>();
      s.optimizer_steps = j.at("optimizer_steps").get<int64_t>();
      s.skipped_total = j.at("skipped_total").get<int64_t>();
      s.consumed_samples = j.at("consumed_samples").get<int64_t>();
      s.sampler.epoch = j.at("sampler").at("epoch").get<int64_t>();
      s.sampler.batch = j.at("sampler").at("batch").get<int64_t>();
      s.lr = j.at("lr").get<double>();
      s.world_size = j.at("world_size").get<int>();
    } catch (const nlohmann::json::exception& e) {
      fail("state.json: {}", e.what());
    }
    s.config_yaml = read_file(dir / "config.yaml");
    s.model = tensor_io::load_safetensors(dir / "model.safetensors");
    s.ema = tensor_io::load_safetensors(dir / "ema.safetensors");
    if (!weights_only) {
      s.optimizer = tensor_io::load_safetensors(dir / "optimizer.safetensors");
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
