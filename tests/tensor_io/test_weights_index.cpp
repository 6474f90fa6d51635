// Sharded checkpoints (Hugging Face's *.index.json) through the weights module: the merged tensors, and
// an error naming the index, the shard and the key for every way an index and its shards can disagree.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"

using namespace vdf;
namespace fs = std::filesystem;

namespace {

void write_index(const fs::path& path, const std::map<std::string, std::string>& map) {
  write_file_atomic(path, nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}}.dump());
}

}  // namespace

TEST_CASE("weights index: shards merge; disagreements name index, shard and key", "[unit][weights]") {
  vdf::testing::TempDir tmp("vdf-index");
  tensor_io::save_safetensors(tmp / "a.safetensors", {{"x", torch::ones({2})}, {"y", torch::zeros({3})}});
  tensor_io::save_safetensors(tmp / "b.safetensors", {{"z", torch::full({1}, 5.0)}});
  const auto index = tmp / "model.safetensors.index.json";
  write_index(index, {{"x", "a.safetensors"}, {"y", "a.safetensors"}, {"z", "b.safetensors"}});
  auto t = tensor_io::load_weights_file(index);
  REQUIRE(t.size() == 3);
  CHECK(t.at("z").item<float>() == 5.0f);
  CHECK(tensor_io::weights_index_shards(index) == std::vector<fs::path>{tmp / "a.safetensors", tmp / "b.safetensors"});

  write_index(index, {{"x", "a.safetensors"}, {"y", "b.safetensors"}, {"z", "b.safetensors"}});
  CHECK_THROWS_WITH(tensor_io::load_weights_file(index),
                    Catch::Contains("index.json") && Catch::Contains("'y'") && Catch::Contains("b.safetensors"));
  write_index(index, {{"x", "a.safetensors"}, {"z", "b.safetensors"}});
  CHECK_THROWS_WITH(tensor_io::load_weights_file(index), Catch::Contains("holds key 'y'") && Catch::Contains("does not list"));
  write_index(index, {{"x", "a.safetensors"}, {"y", "a.safetensors"}, {"z", "c.safetensors"}});
  CHECK_THROWS_WITH(tensor_io::load_weights_file(index), Catch::Contains("c.safetensors") && Catch::Contains("does not exist"));
  write_index(index, {{"x", "../a.safetensors"}});
  CHECK_THROWS_WITH(tensor_io::load_weights_file(index), Catch::Contains("not a file beside the index"));
  write_file_atomic(index, "{\"weight_map\": 3}");
  CHECK_THROWS_WITH(tensor_io::load_weights_file(index), Catch::Contains("weight_map"));
  write_file_atomic(index, "{not json");
  CHECK_THROWS_WITH(tensor_io::load_weights_file(index), Catch::Contains("not valid JSON"));
}
