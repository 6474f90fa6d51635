// TensorBoard event files written by vdf (framework/tensorboard/, train/tensorboard_log.h), read back by
// the pinned `tensorboard` Python package as TensorBoard reads them: CRC-32C against the standard vectors
// and TensorBoard's own implementation, every scalar of a real training run equal to metrics.jsonl, the
// sample images decodable, the config present, and a resumed run without duplicate steps.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "framework/core/jsonl.h"
#include "framework/tensorboard/crc32c.h"
#include "framework/tensorboard/event_file.h"
#include "framework/tensorboard/tfrecord.h"
#include "tests/experiments/experiments_test_util.h"
#include "train/tensorboard_log.h"

using vdf::testing::TempDir;
using namespace vdf::experiments::testing;
namespace tb = vdf::tensorboard;

namespace {
std::string tb_test_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// (tag, step) -> value of every scalar in the Python reader's output, failing on a duplicate step.
std::map<std::pair<std::string, int64_t>, double> tb_test_scalars(const nlohmann::json& read) {
  std::map<std::pair<std::string, int64_t>, double> out;
  for (auto it = read["scalars"].begin(); it != read["scalars"].end(); ++it)
    for (const auto& row : it.value()) {
      const auto key = std::make_pair(it.key(), row[0].get<int64_t>());
      INFO("tag " << key.first << " step " << key.second);
      CHECK(out.count(key) == 0);  // a step appears once per tag
      out[key] = row[1].get<double>();
    }
  return out;
}

// Every scalar of metrics.jsonl is in TensorBoard with the same (float32) value, and nothing else is.
void tb_test_check_parity(const fs::path& run, const nlohmann::json& read) {
  const auto scalars = tb_test_scalars(read);
  size_t expected = 0;
  for (const auto& record : vdf::read_metrics(run / "metrics.jsonl")) {
    const int64_t step = record["step"].get<int64_t>();
    for (const auto& [tag, value] : vdf::train::metrics_scalars(record)) {
      ++expected;
      INFO("metrics.jsonl step " << step << " " << tag << " = " << value);
      auto it = scalars.find({tag, step});
      REQUIRE(it != scalars.end());
      CHECK(it->second == static_cast<double>(static_cast<float>(value)));
    }
  }
  CHECK(scalars.size() == expected);
}
}  // namespace

TEST_CASE("crc32c: standard vectors, and TensorBoard's Python crc32c / masked_crc32c on random data", "[unit][experiments]") {
  CHECK(tb::crc32c(std::string("123456789")) == 0xE3069283u);
  CHECK(tb::crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(tb::crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i)), descending.push_back(static_cast<char>(31 - i));
  CHECK(tb::crc32c(ascending) == 0x46DD794Eu);
  CHECK(tb::crc32c(descending) == 0x113FDB5Cu);
  CHECK(tb::crc32c(std::string()) == 0u);
  // Continuing a CRC over a split buffer gives the CRC of the whole.
  CHECK(tb::crc32c(ascending.data() + 7, 25, tb::crc32c(ascending.data(), 7)) == 0x46DD794Eu);

  std::mt19937 rng(5);
  std::vector<std::string> inputs = {"", "a", "123456789"};
  for (size_t n : {1, 7, 8, 9, 63, 64, 65, 1000, 4097}) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
    inputs.push_back(s);
  }
  TempDir tmp("vdf-crc");
  nlohmann::json hex = nlohmann::json::array();
  for (const auto& s : inputs) hex.push_back(tb_test_hex(s));
  vdf::write_file_atomic(tmp / "inputs.json", hex.dump());
  std::string output;
  const auto py = read_tensorboard("crc", tmp / "inputs.json", &output);
  if (!vdf::testing::require_or_skip(py.is_object(), "the pinned Python with tensorboard (tools/setup_python.sh): " + output))
    return;
  for (size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i << " (" << inputs[i].size() << " bytes)");
    CHECK(py["crc"][i].get<uint32_t>() == tb::crc32c(inputs[i]));
    CHECK(py["masked"][i].get<uint32_t>() == tb::masked_crc32c(inputs[i]));
  }
}

TEST_CASE("tfrecord: frames read back, a torn tail is dropped, a flipped byte stops reading", "[unit][experiments]") {
  const std::string a = tb::frame_record("first"), b = tb::frame_record(std::string(300, 'x'));
  CHECK(a.size() == 5 + 16);
  auto f = tb::parse_records(a + b);
  REQUIRE(f.records.size() == 2);
  CHECK(f.records[1] == std::string(300, 'x'));
  CHECK(f.dropped_bytes == 0);
  f = tb::parse_records(a + b.substr(0, b.size() - 3));
  CHECK(f.records.size() == 1);
  CHECK(f.dropped_bytes == b.size() - 3);
  std::string corrupt = a + b;
  corrupt[a.size() + 20] ^= 1;  // inside b's data
  CHECK(tb::parse_records(corrupt).records.size() == 1);
}

TEST_CASE("tensorboard: event writer reopened with a step drops later events, eval scalars go in step order",
          "[unit][experiments]") {
  TempDir tmp("vdf-tbw");
  {
    tb::EventFileWriter w(tmp.path());
    for (int s = 1; s <= 6; ++s) w.add_scalars(s, {{"loss", 1.0 / s}});
    w.add_text(0, "config", "a: 1");
  }
  const fs::path file = *tb::find_event_file(tmp.path());
  {
    tb::EventFileWriter w(tmp.path(), 4);
    CHECK(w.path() == file);  // one file per folder, reused
    CHECK(w.has("loss", 4));
    CHECK_FALSE(w.has("loss", 5));
    CHECK(w.has("config", 0));
    w.add_scalars(5, {{"loss", 0.5}});
  }
  std::vector<int64_t> steps;
  for (const auto& e : tb::read_events(file))
    if (!e.tags.empty() && e.tags[0] == "loss") steps.push_back(e.step);
  CHECK(steps == std::vector<int64_t>{1, 2, 3, 4, 5});

  tb::put_scalars_in_order(tmp / "eval", 20, {{"eval/fid", 3.0}});
  tb::put_scalars_in_order(tmp / "eval", 10, {{"eval/fid", 5.0}});
  tb::put_scalars_in_order(tmp / "eval", 20, {{"eval/fid", 2.0}});  // replaces step 20
  std::string output;
  const auto read = read_tensorboard("events", tmp / "eval", &output);
  if (!vdf::testing::require_or_skip(read.is_object(), "the pinned Python with tensorboard: " + output)) return;
  CHECK(read["scalars"]["eval/fid"] == nlohmann::json::parse("[[10, 5.0], [20, 2.0]]"));
}

TEST_CASE("tensorboard: a training run's event file holds every metrics.jsonl scalar, sample images and the config, "
          "a resumed run has no duplicate steps",
          "[e2e][experiments]") {
  if (!vdf::testing::require_shared({"assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"})) return;  // CLIP tokenizer (sampling)
  TempDir tmp("vdf-tb");
  const std::string common =
      "train.ckpt_every=5 train.keep_last=5 train.val_every=4 train.sample_every=4 "
      "'train.sample_prompts=[a red circle moving left, a blue square]' train.sample_shape=2x8x8 sample.steps=2";
  auto first = train_tiny(tmp.path(), "tb", "train.steps=8 " + common);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const fs::path run = tmp / "tb";
  // Simulate a run killed after step 8's metrics but before its checkpoint: resuming restarts from step 5
  // and must drop steps 6..8 from metrics.jsonl and the event file before training them again.
  fs::remove_all(run / "checkpoints/step_0000008");
  vdf::write_file_atomic(run / "checkpoints/latest", "step_0000005\n");
  auto second = train_tiny(tmp.path(), "tb", "train.steps=10 " + common);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  REQUIRE(second.output.find("resumed from") != std::string::npos);

  std::string output;
  const auto read = read_tensorboard("events", run / "tensorboard", &output);
  if (!vdf::testing::require_or_skip(read.is_object(), "the pinned Python with tensorboard: " + output)) return;
  CHECK(read["files"].size() == 1);
  CHECK(read["file_version"] == 2.0);
  tb_test_check_parity(run, read);
  // The named scalars a researcher looks for, once per step.
  const auto& s = read["scalars"];
  for (const char* tag : {"train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s"}) {
    INFO(tag);
    REQUIRE(s.contains(tag));
    CHECK(s[tag].size() == 10);
  }
  CHECK(s["val/val_loss"].size() == 3);  // steps 4, 8, 10
  CHECK(s["val/val_loss_t/0.5"].size() == 3);
  // Samples at 4 and 8 (the step-8 samples were redone after the resume, not duplicated).
  for (const char* tag : {"samples/000", "samples/001"}) {
    INFO(tag);
    REQUIRE(read["images"].contains(tag));
    const auto& rows = read["images"][tag];
    REQUIRE(rows.size() == 2);
    CHECK(rows[0][0] == 4);
    CHECK(rows[1][0] == 8);
    for (const auto& r : rows) {
      CHECK(r[3] == r[1]);  // decoded width = recorded width
      CHECK(r[4] == r[2]);
      CHECK(r[5] == "RGB");
    }
  }
  // The config of each start (step 0, then the resume at step 5), as the resolved YAML.
  REQUIRE(read["texts"].contains("config"));
  const auto& config = read["texts"]["config"];
  REQUIRE(config.size() == 2);
  CHECK(config[0][0] == 0);
  CHECK(config[1][0] == 5);
  CHECK_THAT(config[1][1].get<std::string>(), Catch::Contains("steps: 10"));
  CHECK_THAT(config[1][1].get<std::string>(), Catch::Contains("name: tb"));
}
