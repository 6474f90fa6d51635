// TAEHV-structured causal video VAE: shapes, causality, chunking equivalence, strict loading through
// a safetensors round trip of recipe weights, and TAEHV key names.
#include <catch2/catch.hpp>

#include "framework/core/error.h"
#include "framework/models/vae/taehv.h"
#include "framework/models/weights.h"
#include "tests/test_support.h"
#include "framework/tensor_io/safetensors.h"

using namespace vdf;

namespace {
}

TEST_CASE("taehv: key names follow taehv.pth", "[unit][vae]") {
  vae::TaehvModel m(vae::TaehvArch{});
  auto sd = models::state_dict(*m);
  // encoder: 0 conv, 2 TPool, 3 conv s2, 4..6 MemBlock, ..., 17 conv; decoder: 1 conv, 3..5 MemBlock,
  // 7 TGrow, 8 conv, ..., 22 conv
  for (const char* k : {"encoder.0.weight", "encoder.0.bias", "encoder.2.conv.weight", "encoder.3.weight",
                        "encoder.4.conv.0.weight", "encoder.4.conv.4.bias", "encoder.12.conv.weight",
                        "encoder.17.weight", "decoder.1.weight", "decoder.3.conv.0.weight", "decoder.7.conv.weight",
                        "decoder.8.weight", "decoder.13.conv.weight", "decoder.19.conv.weight", "decoder.22.weight"})
    CHECK(sd.count(k) == 1);
  CHECK(sd.at("encoder.4.conv.0.weight").sizes() == torch::IntArrayRef({64, 128, 3, 3}));
  CHECK(sd.at("encoder.2.conv.weight").sizes() == torch::IntArrayRef({64, 128, 1, 1}));
  CHECK(sd.at("encoder.12.conv.weight").sizes() == torch::IntArrayRef({64, 64, 1, 1}));  // stride 1
  CHECK(sd.at("encoder.17.weight").sizes() == torch::IntArrayRef({16, 64, 3, 3}));
  CHECK(sd.at("decoder.7.conv.weight").sizes() == torch::IntArrayRef({256, 256, 1, 1}));
  CHECK(sd.at("decoder.13.conv.weight").sizes() == torch::IntArrayRef({256, 128, 1, 1}));
  CHECK(sd.at("decoder.22.weight").sizes() == torch::IntArrayRef({3, 64, 3, 3}));
  CHECK(sd.count("encoder.3.bias") == 0);
  CHECK(sd.size() == 128);  // 64 encoder + 64 decoder tensors
}

TEST_CASE("taehv: shapes, frame counts and causality", "[unit][vae]") {
  auto vae = vae::TaehvVae::recipe(vae::TaehvArch{}, /*chunk_frames=*/8);
  CHECK(vae->info().ct == 4);
  CHECK(vae->info().ch == 8);
  CHECK_FALSE(vae->info().pretrained);
  torch::manual_seed(0);
  auto video = torch::rand({1, 3, 9, 16, 24});
  auto z = vae->encode(video);
  REQUIRE(z.sizes() == torch::IntArrayRef({1, 16, 3, 2, 3}));  // 9 frames -> pad to 12 -> 3 latents
  CHECK(vae->latent_frames(9) == 3);
  auto x = vae->decode(z);
  REQUIRE(x.sizes() == torch::IntArrayRef({1, 3, 9, 16, 24}));  // 4*3-3
  CHECK(vae->decoded_frames(3) == 9);
  CHECK(x.min().item<float>() >= 0.0f);
  CHECK(x.max().item<float>() <= 1.0f);

  // causality: changing frames >= 4 leaves latent 0 unchanged, and latent 1 changes
  auto v2 = video.clone();
  v2.slice(2, 4).uniform_();
  auto z2 = vae->encode(v2);
  CHECK(vdf::testing::max_abs(z.select(2, 0), z2.select(2, 0)) == 0.0);
  CHECK(vdf::testing::max_abs(z.select(2, 1), z2.select(2, 1)) > 1e-6);
  // changing frame 8 only (in latent 2's group) leaves latents 0, 1 unchanged
  auto v3 = video.clone();
  v3.select(2, 8).zero_();
  auto z3 = vae->encode(v3);
  CHECK(vdf::testing::max_abs(z.slice(2, 0, 2), z3.slice(2, 0, 2)) == 0.0);
  // decoder causality: decoded frames from latents 0..1 don't depend on latent 2
  auto zc = z.clone();
  zc.select(2, 2).normal_();
  auto xc = vae->decode(zc);
  CHECK(vdf::testing::max_abs(x.slice(2, 0, 5), xc.slice(2, 0, 5)) == 0.0);  // frames 0..4 come from latents 0,1
}

TEST_CASE("taehv: chunked processing equals one pass", "[unit][vae]") {
  auto one = vae::TaehvVae::recipe(vae::TaehvArch{}, 64);
  auto chunked = vae::TaehvVae::recipe(vae::TaehvArch{}, 4);
  torch::manual_seed(1);
  auto video = torch::rand({2, 3, 12, 16, 16});
  auto a = one->encode(video), b = chunked->encode(video);
  CHECK(vdf::testing::max_abs(a, b) < 1e-5);
  CHECK(vdf::testing::max_abs(one->decode(a), chunked->decode(a)) < 1e-5);
}

TEST_CASE("taehv: recipe weights round-trip through safetensors with strict loading", "[unit][vae]") {
  vdf::testing::TempDir tmp;
  auto src = vae::TaehvVae::recipe(vae::TaehvArch{});
  auto sd = models::state_dict(*src->model());
  // recipe values follow the golden definition: spot-check roles
  CHECK(sd.at("encoder.0.bias").abs().max().item<float>() <= 0.01f);
  CHECK(sd.at("encoder.0.weight").abs().max().item<float>() <= std::sqrt(3.0f / 27.0f) + 1e-6f);
  tensor_io::TensorMap tm(sd.begin(), sd.end());
  const auto path = tmp / "taehv_recipe.safetensors";
  tensor_io::save_safetensors(path, tm);
  auto loaded = vae::TaehvVae::from_file(path, vae::TaehvArch{});
  CHECK(loaded->info().pretrained);
  CHECK(loaded->info().weights_sha256.size() == 64);
  for (const auto& [k, v] : models::state_dict(*loaded->model())) CHECK(torch::equal(v, sd.at(k)));
  auto video = torch::rand({1, 3, 4, 16, 16});
  CHECK(torch::equal(src->encode(video), loaded->encode(video)));

  // strictness: a missing key, an extra key and a wrong shape are errors naming the key
  auto missing = tm;
  missing.erase("decoder.8.weight");
  tensor_io::save_safetensors(tmp / "missing.safetensors", missing);
  CHECK_THROWS_WITH(vae::TaehvVae::from_file(tmp / "missing.safetensors", vae::TaehvArch{}),
                    Catch::Contains("decoder.8.weight"));
  auto extra = tm;
  extra["encoder.99.weight"] = torch::zeros({1});
  tensor_io::save_safetensors(tmp / "extra.safetensors", extra);
  CHECK_THROWS_WITH(vae::TaehvVae::from_file(tmp / "extra.safetensors", vae::TaehvArch{}),
                    Catch::Contains("encoder.99.weight"));
  auto bad = tm;
  bad["encoder.17.weight"] = torch::zeros({8, 64, 3, 3});
  tensor_io::save_safetensors(tmp / "bad.safetensors", bad);
  CHECK_THROWS_WITH(vae::TaehvVae::from_file(tmp / "bad.safetensors", vae::TaehvArch{}),
                    Catch::Contains("[8,64,3,3]") && Catch::Contains("[16,64,3,3]"));
  // upstream checkpoints store decoder.7 (stride-1 TGrow) with 2x the channels: the last ones are kept
  auto wide = tm;
  wide["decoder.7.conv.weight"] = torch::cat({torch::zeros({256, 256, 1, 1}), tm.at("decoder.7.conv.weight")}, 0);
  tensor_io::save_safetensors(tmp / "wide.safetensors", wide);
  auto w = vae::TaehvVae::from_file(tmp / "wide.safetensors", vae::TaehvArch{});
  CHECK(torch::equal(models::state_dict(*w->model()).at("decoder.7.conv.weight"), tm.at("decoder.7.conv.weight")));
}
