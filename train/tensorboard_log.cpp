#include "train/tensorboard_log.h"

#include <fmt/format.h>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"

namespace vdf::train {

fs::path tensorboard_dir(const fs::path& run_root) { return run_root / "tensorboard"; }

namespace {
void tensorboard_collect(const std::string& tag, const nlohmann::json& value, tensorboard::Scalars* out) {
  if (value.is_number()) {
    out->emplace_back(tag, value.get<double>());
  } else if (value.is_boolean()) {
    out->emplace_back(tag, value.get<bool>() ? 1.0 : 0.0);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) tensorboard_collect(tag + "/" + it.key(), it.value(), out);
  }
}
}  // namespace

tensorboard::Scalars metrics_scalars(const nlohmann::json& record) {
  tensorboard::Scalars out;
  const std::string kind = record.value("kind", std::string("metrics"));
  for (auto it = record.begin(); it != record.end(); ++it)
    if (it.key() != "step" && it.key() != "kind") tensorboard_collect(kind + "/" + it.key(), it.value(), &out);
  return out;
}

TensorBoardLog::TensorBoardLog(const fs::path& run_root, int64_t resume_step)
    : writer_(tensorboard_dir(run_root), resume_step) {}

void TensorBoardLog::write_config(int64_t step, const std::string& config_yaml) {
  if (writer_.has("config", step)) return;  // an earlier start at this step already wrote it
  // Markdown: a fenced block keeps the YAML's indentation.
  writer_.add_text(step, "config", "```yaml\n" + config_yaml + "```\n");
}

void TensorBoardLog::write_metrics(const nlohmann::json& record) {
  if (!record.contains("step") || !record["step"].is_number_integer()) return;
  writer_.add_scalars(record["step"].get<int64_t>(), metrics_scalars(record));
}

void TensorBoardLog::write_samples(int64_t step, const fs::path& sample_dir) {
  const fs::path info_path = sample_dir / "sample.json";
  std::error_code ec;
  if (!fs::exists(info_path, ec)) return;
  const nlohmann::json info = nlohmann::json::parse(read_file(info_path));
  int index = 0;
  for (const auto& out : info.value("outputs", nlohmann::json::array())) {
    if (out.contains("strip")) {
      const auto& strip = out["strip"];
      writer_.add_png(step, fmt::format("samples/{:03d}", index), read_file(sample_dir / strip["file"].get<std::string>()),
                      strip["height"].get<int64_t>(), strip["width"].get<int64_t>());
    }
    ++index;
  }
}

}  // namespace vdf::train
