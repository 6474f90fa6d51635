// Strict state-dict loading, load_weights_file, and the golden test-weight recipe.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"

using namespace vdf;
using namespace vdf::tensor_io;

namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    fc = register_module("fc", torch::nn::Linear(4, 2));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Tiny);

}  // namespace

TEST_CASE("state_dict: strict loading round trip and every kind of problem", "[unit]") {
  Tiny a, b;
  torch::manual_seed(3);
  Tiny src;
  auto sd = state_dict(*src);
  CHECK(sd.size() == 2 + 5 + 2);  // conv weight/bias, bn 2 parameters + 3 buffers, fc weight/bias
  load_weights(*a, sd);
  for (const auto& [k, t] : state_dict(*a)) CHECK(torch::equal(t, sd.at(k)));

  SECTION("missing, unexpected and mis-shaped keys are all reported with both shapes") {
    auto bad = sd;
    bad.erase("fc.bias");
    bad["extra.weight"] = torch::zeros({5});
    bad["conv.weight"] = torch::zeros({4, 3, 5, 5});
    try {
      load_weights(*b, bad, {true, "tiny.safetensors"});
      FAIL("no error");
    } catch (const Error& e) {
      std::string m = e.what();
      CHECK_THAT(m, Catch::Contains("tiny.safetensors"));
      CHECK_THAT(m, Catch::Contains("1 missing, 1 unexpected, 1 mis-shaped"));
      CHECK_THAT(m, Catch::Contains("'fc.bias' (module shape [2])"));
      CHECK_THAT(m, Catch::Contains("'extra.weight' (file shape [5])"));
      CHECK_THAT(m, Catch::Contains("'conv.weight' has shape [4,3,5,5] in the file, the module expects [4,3,3,3]"));
    }
    // nothing was copied on failure
    CHECK_FALSE(torch::equal(b->fc->weight, sd.at("fc.weight")));
  }
  SECTION("many problems are counted, the first few listed") {
    TensorMap lots = sd;
    for (int i = 0; i < 20; ++i) lots["junk." + std::to_string(i)] = torch::zeros({1});
    CHECK_THROWS_WITH(load_weights(*b, lots), Catch::Contains("20 unexpected") && Catch::Contains("(and 12 more)"));
  }
  SECTION("dtype conversion is explicit") {
    TensorMap half;
    for (const auto& [k, t] : sd) half[k] = t.is_floating_point() ? t.to(torch::kFloat16) : t;
    LoadOptions strict_dtype;
    strict_dtype.convert_dtype = false;
    CHECK_THROWS_WITH(load_weights(*b, half, strict_dtype),
                      Catch::Contains("wrong dtype") && Catch::Contains("Half") && Catch::Contains("Float"));
    load_weights(*b, half);
    CHECK(b->fc->weight.scalar_type() == torch::kFloat32);
    CHECK(torch::allclose(b->fc->weight, sd.at("fc.weight"), 1e-3, 1e-3));
  }
  SECTION("prefix selects a sub-dict") {
    TensorMap nested;
    for (const auto& [k, t] : sd) nested["model." + k] = t;
    nested["optimizer.step"] = torch::zeros({1});
    LoadOptions o;
    o.prefix = "model.";
    load_weights(*b, nested, o);
    CHECK(torch::equal(b->conv->weight, sd.at("conv.weight")));
  }
  SECTION("a name-conversion table maps another layout's names, after the prefix") {
    TensorMap other;  // e.g. a checkpoint whose names differ from the module's
    for (const auto& [k, t] : sd) {
      std::string name = k;
      if (k.rfind("conv.", 0) == 0) name = "stem.proj." + k.substr(5);
      if (k.rfind("bn.", 0) == 0) name = "stem.norm." + k.substr(3);
      other["net." + name] = t;
    }
    LoadOptions o;
    o.prefix = "net.";
    o.what = "other layout";
    o.rename = {{"stem.proj.", "conv."}, {"stem.norm.", "bn."}};
    load_weights(*b, other, o);
    CHECK(torch::equal(b->conv->weight, sd.at("conv.weight")));
    CHECK(torch::equal(b->bn->running_var, sd.at("bn.running_var")));
    // a file name no rule matches stays as it is: reported as unexpected, with the converted module name missing
    other["net.stem.extra.weight"] = torch::zeros({1});
    CHECK_THROWS_WITH(load_weights(*b, other, o), Catch::Contains("loading other layout strictly") &&
                                                      Catch::Contains("'stem.extra.weight' (file shape [1])"));
    other.erase("net.stem.extra.weight");
    // two file names converting to one module name
    other["net.conv.weight"] = sd.at("conv.weight");
    CHECK_THROWS_WITH(load_weights(*b, other, o), Catch::Contains("both convert to 'conv.weight'"));
  }
}

TEST_CASE("state_dict: load_weights_file reads safetensors and .pth by content", "[unit]") {
  testing::TempDir tmp;
  TensorMap m{{"a", torch::ones({2})}, {"b", torch::arange(3)}};
  save_safetensors(tmp / "w.safetensors", m);
  auto back = load_weights_file(tmp / "w.safetensors");
  CHECK(back.size() == 2);
  CHECK(torch::equal(back.at("b"), m.at("b")));
  CHECK_THROWS_WITH(load_weights_file(tmp / "none.pth"), Catch::Contains("none.pth"));
  std::ofstream(tmp / "legacy.pth") << "not a zip";
  CHECK_THROWS_WITH(load_weights_file(tmp / "legacy.pth"), Catch::Contains("legacy.pth") && Catch::Contains("zip"));
  if (testing::require_shared({"assets/vae/taef2_encoder.pth"})) {
    auto enc = load_weights_file(testing::shared("assets/vae/taef2_encoder.pth"));
    CHECK(enc.size() == 79);
  }
}

TEST_CASE("recipe: splitmix64, fnv1a64 and u vectors match recipe_vectors.safetensors", "[unit][parity]") {
  if (!testing::require_shared({"golden/recipe/recipe_vectors.safetensors"})) return;
  auto f = SafetensorsFile::open(testing::shared("golden/recipe/recipe_vectors.safetensors"));
  uint64_t s = 1234567;
  auto ref = f.tensor("splitmix64_seed1234567_first5");
  for (int i = 0; i < 5; ++i) CHECK(static_cast<int64_t>(splitmix64_next(s)) == ref[i].item<int64_t>());
  auto fnv = nlohmann::json::parse(f.metadata().at("fnv1a64"));
  for (const auto& [k, v] : fnv.items()) {
    INFO(k);
    CHECK(fmt::format("0x{:016x}", fnv1a64(k)) == v.get<std::string>());
  }
  int keys = 0;
  for (const auto& name : f.keys()) {
    if (name.rfind("u_first8/", 0) != 0) continue;
    std::string key = name.substr(9);
    INFO(key);
    CHECK(torch::equal(recipe_uniform(key, 8), f.tensor(name)));
    auto raw = nlohmann::json::parse(f.metadata().at("u64_first8/" + key));
    auto ours = recipe_raw(key, 8);
    for (int i = 0; i < 8; ++i) CHECK(std::to_string(ours[i]) == raw[i].get<std::string>());
    ++keys;
  }
  CHECK(keys == 5);
}

TEST_CASE("recipe: every key of clip, i3d and inception_fid matches the golden checksums", "[unit][parity]") {
  for (const std::string model : {"inception_fid", "i3d", "clip"}) {
    INFO(model);
    const std::string keys_rel = "golden/" + model + "/keys.txt";
    const std::string sums_rel = "golden/recipe/" + model + "_checksums.safetensors";
    if (!testing::require_shared({keys_rel, sums_rel})) continue;
    auto keys = read_recipe_keys(testing::shared(keys_rel));
    auto sums = load_safetensors(testing::shared(sums_rel)).at("checksums");
    REQUIRE(sums.size(0) == static_cast<int64_t>(keys.size()));
    auto acc = sums.accessor<double, 2>();
    int bad = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto t = recipe_tensor(keys[i].key, keys[i].shape, keys[i].role).to(torch::kFloat64).flatten();
      double numel = static_cast<double>(t.numel());
      double sum = t.sum().item<double>(), sq = (t * t).sum().item<double>();
      double first = t.numel() ? t[0].item<double>() : 0, last = t.numel() ? t[-1].item<double>() : 0;
      // first/last are exact; sums differ only by float64 summation order (numpy pairwise vs torch)
      bool ok = numel == acc[i][0] && first == acc[i][3] && last == acc[i][4] &&
                std::abs(sum - acc[i][1]) <= 1e-9 * std::max(1.0, sq) &&
                std::abs(sq - acc[i][2]) <= 1e-10 * std::max(1.0, sq);
      if (!ok && ++bad <= 5)
        FAIL_CHECK(keys[i].key << ": numel " << numel << "/" << acc[i][0] << " sum " << sum << "/" << acc[i][1]
                               << " sumsq " << sq << "/" << acc[i][2] << " first " << first << "/" << acc[i][3]);
    }
    CHECK(bad == 0);
  }
}

TEST_CASE("recipe: fill_with_recipe fills a module strictly from keys.txt", "[unit]") {
  testing::TempDir tmp;
  {
    std::ofstream k(tmp / "keys.txt");
    k << "conv.weight 4x3x3x3 weight_he\nconv.bias 4 bias\nbn.weight 4 norm_weight\nbn.bias 4 norm_bias\n"
         "bn.running_mean 4 running_mean\nbn.running_var 4 running_var\nbn.num_batches_tracked scalar "
         "num_batches_tracked\nfc.weight 2x4 weight\nfc.bias 2 bias\n";
  }
  Tiny m;
  fill_with_recipe(*m, tmp / "keys.txt");
  CHECK(torch::equal(m->conv->weight, recipe_tensor("conv.weight", {4, 3, 3, 3}, RecipeRole::weight_he)));
  CHECK(m->bn->running_var.min().item<float>() >= 1.0f);
  CHECK(m->bn->num_batches_tracked.item<int64_t>() == 0);
  double bound = std::sqrt(3.0 / 4);
  CHECK(m->fc->weight.abs().max().item<double>() <= bound);
  {
    std::ofstream k(tmp / "bad.txt");
    k << "conv.weight 4x3x5x5 weight\n";
  }
  CHECK_THROWS_WITH(fill_with_recipe(*m, tmp / "bad.txt"),
                    Catch::Contains("[4,3,5,5]") && Catch::Contains("[4,3,3,3]") && Catch::Contains("missing"));
  {
    std::ofstream k(tmp / "role.txt");
    k << "conv.weight 4x3x3x3 wieght\n";
  }
  CHECK_THROWS_WITH(read_recipe_keys(tmp / "role.txt"), Catch::Contains("role.txt:1") && Catch::Contains("wieght"));
}
