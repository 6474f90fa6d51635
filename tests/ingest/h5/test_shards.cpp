// Latent shards: writer/reader round trip, atomic completion, model-identity checks, verification,
// the multi-shard dataset (random access, buckets from metadata, seeded shuffling) and index.json.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "data/h5/shard_reader.h"
#include "data/h5/shard_writer.h"
#include "framework/core/atomic_file.h"
#include "framework/h5/h5.h"
#include "tests/test_support.h"

using namespace vdf::data;
using vdf::testing::TempDir;
namespace fs = std::filesystem;

namespace {

ShardHeader test_header(const std::string& dtype = "float16") {
  ShardHeader h;
  h.vae = {"vae-x", std::string(64, '1'), 4, 1, 8, 8, 0.5, 0.1, "[0,1]"};
  h.text = {"text-y", std::string(64, '2'), 6, 5, 3};
  h.latent_dtype = dtype;
  h.config_yaml = "ingest: {}\n";
  h.config_sha256 = "c0ffee";
  return h;
}

ShardSampleData sample(int64_t i, int64_t t, int64_t input) {
  ShardSampleData s;
  s.meta.source = fmt::format("v{}.mp4", input);
  s.meta.input_id = s.meta.source;
  s.meta.input_row = input;
  s.meta.clip_index = i;
  s.meta.start_s = 0.25 * i;
  s.meta.end_s = 0.25 * i + 1;
  s.meta.fps = 24;
  s.meta.frames = t;
  s.meta.caption = fmt::format("caption {}", input);
  s.meta.content_sha256 = std::string(64, 'c');
  s.meta.pixel_bucket = bucket_key(t, 16, 16);
  s.latents = torch::linspace(-2, 2, 4 * t * 2 * 2).reshape({4, t, 2, 2}) + double(i);
  s.text = torch::full({6, 5}, double(input));
  s.text_mask = torch::tensor({1, 1, 1, 0, 0, 0}).to(torch::kBool);
  s.pooled = torch::full({3}, double(input) + 0.5);
  return s;
}

// A shard of 3 samples: two clips of input 0 (sharing text), one of input 1; written out of order.
fs::path write_shard(const fs::path& path, const std::string& dtype = "float16", int gzip = 0, int64_t frames = 2) {
  ShardWriter w(path, test_header(dtype), gzip);
  auto s2 = sample(2, frames + 1, 1);
  w.add(2, s2);
  w.add(0, sample(0, frames, 0));
  auto s1 = sample(1, frames, 0);
  s1.share_text_with = 0;
  s1.text = torch::Tensor();
  w.add(1, s1);
  InputOutcome a{0, "v0.mp4", "v0.mp4", true, "", "", 2};
  InputOutcome b{1, "v1.mp4", "v1.mp4", true, "", "", 1};
  InputOutcome c{2, "bad.mp4", "bad.mp4", false, "too_short", "0.1 s", 0};
  w.finish({a, b, c});
  return path;
}

}  // namespace

TEST_CASE("shards: write then read back every field", "[unit][ingest][h5]") {
  TempDir dir;
  for (std::string dtype : {"float16", "bfloat16"}) {
    const fs::path p = write_shard(dir / ("a-" + dtype + ".h5"), dtype, dtype == "float16" ? 4 : 0);
    ShardFile f(p);
    REQUIRE(f.size() == 3);
    const ShardHeader& h = f.info().header;
    CHECK(h.vae.name == "vae-x");
    CHECK(h.vae.scale == 0.5);
    CHECK(h.vae.ch == 8);
    CHECK(h.text.dim == 5);
    CHECK(h.latent_dtype == dtype);
    CHECK(h.compression == (dtype == "float16" ? "gzip-4" : "none"));
    CHECK(h.config_yaml == "ingest: {}\n");
    REQUIRE(f.info().inputs.size() == 3);
    CHECK(f.info().inputs[2].reason == "too_short");
    const auto st = dtype == "float16" ? torch::kFloat16 : torch::kBFloat16;
    for (int64_t i = 0; i < 3; ++i) {
      const int64_t input = i < 2 ? 0 : 1;
      auto want = sample(i, i < 2 ? 2 : 3, input);
      ShardRecord r = f.read(i);
      CHECK(r.latents.scalar_type() == st);
      CHECK(torch::equal(r.latents, want.latents.to(st)));
      CHECK(torch::equal(r.text, want.text.to(st)));
      CHECK(torch::equal(r.text_mask, want.text_mask));
      CHECK(torch::equal(r.pooled, want.pooled.to(st)));
      CHECK(r.meta.caption == want.meta.caption);
      CHECK(r.meta.start_s == want.meta.start_s);
      CHECK(r.meta.pixel_bucket == want.meta.pixel_bucket);
      CHECK(r.meta.bucket == bucket_key(want.latents.size(1), 2, 2));
      CHECK(r.meta.latent_shape == want.latents.sizes().vec());
      CHECK(r.meta.latent_sha256 == tensor_sha256(want.latents.to(st).contiguous()));
    }
    ShardCheck check = verify_shard(p);
    CHECK(check.samples == 3);
    CHECK(check.problems.empty());
  }
}

TEST_CASE("shards: an unfinished writer leaves nothing behind", "[unit][ingest][h5]") {
  TempDir dir;
  {
    ShardWriter w(dir / "x.h5", test_header());
    w.add(0, sample(0, 2, 0));
    CHECK(fs::exists(w.temp_path()));
    CHECK_FALSE(fs::exists(dir / "x.h5"));
  }
  CHECK(fs::is_empty(dir.path()));
  ShardWriter w(dir / "y.h5", test_header());
  w.add(1, sample(1, 2, 0));
  CHECK_THROWS_WITH(w.finish({}), Catch::Contains("sample 0 of 2 was never added"));
}

TEST_CASE("shards: a reader refuses shards of another VAE or text encoder", "[unit][ingest][h5]") {
  TempDir dir;
  write_shard(dir / "a.h5");
  ShardDatasetOptions ok;
  ok.expected_vae = test_header().vae;
  ok.expected_text = test_header().text;
  CHECK(ShardDataset(dir.path(), ok).size() == 3);
  ShardDatasetOptions other_vae = ok;
  other_vae.expected_vae->weights_sha256 = std::string(64, '9');
  CHECK_THROWS_WITH(ShardDataset(dir.path(), other_vae),
                    Catch::Contains("made with VAE 'vae-x'") && Catch::Contains("a.h5"));
  ShardDatasetOptions other_scale = ok;
  other_scale.expected_vae->scale = 0.18215;
  CHECK_THROWS_WITH(ShardDataset(dir.path(), other_scale), Catch::Contains("scaling"));
  ShardDatasetOptions other_text = ok;
  other_text.expected_text->name = "t5";
  CHECK_THROWS_WITH(ShardDataset(dir.path(), other_text), Catch::Contains("text encoder 'text-y'"));
  // Two shards of different VAEs in one folder are refused even without expectations.
  {
    auto h = test_header();
    h.vae.name = "other";
    ShardWriter w(dir / "b.h5", h);
    w.add(0, sample(0, 2, 0));
    w.finish({});
  }
  CHECK_THROWS_WITH(ShardDataset(dir.path()), Catch::Contains("b.h5"));
}

TEST_CASE("shards: verification finds corrupted samples", "[unit][ingest][h5]") {
  TempDir dir;
  const fs::path p = write_shard(dir / "a.h5");
  {
    vdf::h5::FileId f = vdf::h5::open_file(p, /*writable=*/true);
    vdf::h5::DatasetId ds(H5Dopen2(f.get(), "samples/000001/latents", H5P_DEFAULT));
    auto bad = torch::full({4, 2, 2, 2}, std::numeric_limits<float>::quiet_NaN()).to(torch::kFloat16);
    REQUIRE(H5Dwrite(ds.get(), vdf::h5::float16_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bad.data_ptr()) >= 0);
  }
  ShardCheck c = verify_shard(p);
  REQUIRE(c.problems.size() == 2);
  CHECK_THAT(c.problems[0], Catch::Contains("sample 1") && Catch::Contains("NaN"));
  CHECK_THAT(c.problems[1], Catch::Contains("SHA-256"));
  vdf::write_file_atomic(dir / "junk.h5", "junk");
  ShardCheck j = verify_shard(dir / "junk.h5");
  REQUIRE(j.problems.size() == 1);
  CHECK_THAT(j.problems[0], Catch::Contains("not an HDF5 file"));
}

TEST_CASE("shards: dataset over several shards, buckets from metadata, seeded shuffle, index", "[unit][ingest][h5]") {
  TempDir dir;
  write_shard(dir / "s0.h5", "float16", 0, 2);
  write_shard(dir / "s1.h5", "float16", 0, 4);
  CHECK(write_index(dir.path()) == 2);
  auto index = nlohmann::json::parse(vdf::read_file(dir / "index.json"));
  CHECK(index["total_samples"] == 6);
  CHECK(index["shards"][1]["file"] == "s1.h5");
  CHECK(list_shards(dir.path()).size() == 2);

  ShardDataset ds(dir.path());
  REQUIRE(ds.size() == 6);
  CHECK(ds.bucket_of(0) == "2x2x2");
  CHECK(ds.bucket_of(2) == "3x2x2");
  CHECK(ds.bucket_of(3) == "4x2x2");
  CHECK(ds.bucket_of(5) == "5x2x2");
  CHECK(ds.buckets().at("4x2x2") == std::vector<int64_t>{3, 4});
  CHECK(ds.get(4).latents.size(1) == 4);
  CHECK(torch::equal(ds.get(5).pooled, torch::full({3}, 1.5).to(torch::kFloat16)));
  auto a = ds.shuffled(7, 0), b = ds.shuffled(7, 0), c = ds.shuffled(7, 1);
  CHECK(a == b);
  CHECK(a != c);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
  CHECK_THROWS_WITH(ds.get(6), Catch::Contains("out of range"));
  // A listed shard that disappeared is an error naming it.
  fs::remove(dir / "s1.h5");
  CHECK_THROWS_WITH(list_shards(dir.path()), Catch::Contains("s1.h5"));
}

TEST_CASE("shards: vdf inspect summarizes and verifies a shard folder, exit 1 on a corrupt sample", "[e2e][ingest][h5]") {
  TempDir dir;
  write_shard(dir / "s0.h5");
  const fs::path p = write_shard(dir / "s1.h5");
  write_index(dir.path());
  auto ok = vdf::testing::run_command(vdf::testing::vdf_exe() + " inspect " + dir.path().string());
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("2 shard(s), 6 samples from 6 inputs (4 accepted)"));
  CHECK_THAT(ok.output, Catch::Contains("VAE vae-x"));
  CHECK_THAT(ok.output, Catch::Contains("rejected inputs: 2 too_short"));
  CHECK_THAT(ok.output, Catch::Contains("verified"));
  auto js = vdf::testing::run_command(vdf::testing::vdf_exe() + " inspect --json " + p.string() + " 2>/dev/null");
  REQUIRE(js.exit_code == 0);
  auto j = nlohmann::json::parse(js.output);
  CHECK(j["samples"] == 3);
  CHECK(j["problems"] == 0);
  {
    vdf::h5::FileId f = vdf::h5::open_file(p, /*writable=*/true);
    vdf::h5::DatasetId ds(H5Dopen2(f.get(), "samples/000000/latents", H5P_DEFAULT));
    auto bad = torch::zeros({4, 2, 2, 2}).to(torch::kFloat16);
    REQUIRE(H5Dwrite(ds.get(), vdf::h5::float16_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bad.data_ptr()) >= 0);
  }
  auto bad = vdf::testing::run_command(vdf::testing::vdf_exe() + " inspect " + dir.path().string());
  INFO(bad.output);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("PROBLEM s1.h5: sample 0: latent SHA-256"));
}
