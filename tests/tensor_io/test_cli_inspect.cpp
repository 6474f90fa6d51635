// `vdf inspect` and `vdf convert` through the real program.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "framework/core/atomic_file.h"
#include "framework/tensor_io/pth.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/test_support.h"

using namespace vdf;
using namespace vdf::tensor_io;

TEST_CASE("cli: vdf inspect lists safetensors keys, --json, and rejects a corrupted file with one line",
          "[e2e][cli]") {
  testing::TempDir tmp;
  auto good = tmp / "w.safetensors";
  save_safetensors(good, {{"a.weight", torch::ones({2, 3})}, {"b", torch::zeros({4}, torch::kFloat16)}},
                   {{"format", "pt"}});
  auto r = testing::run_command(testing::vdf_exe() + " inspect " + good.string());
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("a.weight") && Catch::Contains("F32") && Catch::Contains("[2, 3]") &&
                           Catch::Contains("2 tensors") && Catch::Contains("format: pt"));
  auto j = testing::run_command(testing::vdf_exe() + " inspect --json " + good.string() + " 2>/dev/null");
  REQUIRE(j.exit_code == 0);
  auto doc = nlohmann::json::parse(j.output);
  CHECK(doc["tensor_count"] == 2);
  CHECK(doc["total_bytes"] == 24 + 8);
  CHECK(doc["tensors"][0]["name"] == "a.weight");
  CHECK(doc["metadata"]["format"] == "pt");

  // Corrupt: header length far beyond the file.
  std::string bytes = read_file(good);
  bytes[5] = '\x7f';
  auto bad = tmp / "bad.safetensors";
  write_file_atomic(bad, bytes);
  auto e = testing::run_command(testing::vdf_exe() + " inspect " + bad.string());
  CHECK(e.exit_code != 0);
  CHECK_THAT(e.output, Catch::Contains("bad.safetensors"));
  // exactly one line
  std::string out = e.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  CHECK(out.find('\n') == std::string::npos);
  // Corrupt: data offsets out of range (truncated file).
  write_file_atomic(bad, read_file(good).substr(0, read_file(good).size() - 4));
  auto t = testing::run_command(testing::vdf_exe() + " inspect " + bad.string());
  CHECK(t.exit_code != 0);
  CHECK_THAT(t.output, Catch::Contains("'b'") || Catch::Contains("'a.weight'"));

  auto unknown = testing::run_command(testing::vdf_exe() + " inspect " + (tmp / "nothing.xyz").string());
  CHECK(unknown.exit_code != 0);
}

TEST_CASE("cli: vdf inspect taef2_encoder.pth lists 79 tensors; vdf convert to safetensors", "[e2e][cli]") {
  if (!testing::require_shared({"assets/vae/taef2_encoder.pth"})) return;
  auto pth = testing::shared("assets/vae/taef2_encoder.pth");
  auto r = testing::run_command(testing::vdf_exe() + " inspect " + pth.string());
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("79 tensors") && Catch::Contains("F16"));

  testing::TempDir tmp;
  auto out = tmp / "enc.safetensors";
  auto c = testing::run_command(testing::vdf_exe() + " convert " + pth.string() + " " + out.string() + " --dtype f32");
  REQUIRE(c.exit_code == 0);
  auto converted = load_safetensors(out);
  auto original = load_pth(pth);
  REQUIRE(converted.size() == 79);
  for (const auto& [k, t] : original) {
    INFO(k);
    REQUIRE(converted.count(k));
    CHECK(converted[k].scalar_type() == torch::kFloat32);
    CHECK(torch::equal(converted[k], t.to(torch::kFloat32)));
  }
  auto bad = testing::run_command(testing::vdf_exe() + " convert " + pth.string() + " " + out.string() + " --dtype f8");
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("f8"));
}
