// Bucketed batch sampler: shapes per batch, per-bucket batch sizes, determinism, exact resume, rank slices.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "data/synthetic_dataset.h"
#include "train/bucket_sampler.h"

using namespace vdf::train;

namespace {
struct Fixture {
  std::vector<int64_t> indices;
  std::vector<std::string> buckets;
  Fixture(int64_t n = 60) {
    const char* keys[] = {"1x8x8", "4x8x8", "2x8x12"};
    for (int64_t i = 0; i < n; ++i) {
      indices.push_back(i);
      buckets.push_back(keys[i % 3]);
    }
  }
  std::map<std::string, std::string> bucket_map() const {
    std::map<std::string, std::string> m;
    for (size_t i = 0; i < indices.size(); ++i) m[std::to_string(indices[i])] = buckets[i];
    return m;
  }
};
int64_t bs_of(const std::string& b) { return b == "1x8x8" ? 4 : (b == "4x8x8" ? 2 : 3); }
}  // namespace

TEST_CASE("sampler: every batch is one bucket with that bucket's batch size; images and videos mix", "[unit][train]") {
  Fixture f;
  BucketBatchSampler s(f.indices, f.buckets, bs_of, 7);
  // 20 per bucket: 5 image batches (4), 10 video batches (2), 6 batches of 3 (2 samples dropped)
  CHECK(s.batches_per_epoch() == 5 + 10 + 6);
  std::map<std::string, int> count;
  std::string seq;
  for (int64_t i = 0; i < s.batches_per_epoch(); ++i) {
    std::string bucket;
    auto idx = s.next(&bucket);
    REQUIRE(static_cast<int64_t>(idx.size()) == bs_of(bucket));
    for (int64_t j : idx) CHECK(f.buckets[j] == bucket);
    count[bucket] += 1;
    seq += bucket.substr(0, 1);
  }
  CHECK(count["1x8x8"] == 5);
  CHECK(count["4x8x8"] == 10);
  CHECK(count["2x8x12"] == 6);
  // Mixed, not grouped: the bucket changes many times within the epoch.
  int changes = 0;
  for (size_t i = 1; i < seq.size(); ++i) changes += seq[i] != seq[i - 1];
  CHECK(changes >= 6);
  CHECK(s.position() == SamplerPosition{0, s.batches_per_epoch()});
  s.next();
  CHECK(s.position() == SamplerPosition{1, 1});
}

TEST_CASE("sampler: deterministic from the seed, reshuffled per epoch, each sample at most once per epoch",
          "[unit][train]") {
  Fixture f;
  BucketBatchSampler a(f.indices, f.buckets, bs_of, 7), b(f.indices, f.buckets, bs_of, 7), c(f.indices, f.buckets, bs_of, 8);
  std::vector<std::vector<int64_t>> ea, eb, ec;
  for (int64_t i = 0; i < 3 * a.batches_per_epoch(); ++i) {
    ea.push_back(a.next());
    eb.push_back(b.next());
    ec.push_back(c.next());
  }
  CHECK(ea == eb);
  CHECK(ea != ec);
  const int64_t n = a.batches_per_epoch();
  std::vector<std::vector<int64_t>> e0(ea.begin(), ea.begin() + n), e1(ea.begin() + n, ea.begin() + 2 * n);
  CHECK(e0 != e1);
  std::set<int64_t> seen;
  for (auto& batch : e0)
    for (int64_t j : batch) CHECK(seen.insert(j).second);
  CHECK(seen.size() == 58);  // 60 minus 2 dropped from the bucket of batch size 3
}

TEST_CASE("sampler: restoring a position continues the exact sequence", "[unit][train]") {
  Fixture f;
  BucketBatchSampler a(f.indices, f.buckets, bs_of, 3);
  for (int i = 0; i < 37; ++i) a.next();  // into the second epoch
  const SamplerPosition pos = a.position();
  CHECK(pos.epoch == 1);
  std::vector<std::vector<int64_t>> rest;
  for (int i = 0; i < 30; ++i) rest.push_back(a.next());
  BucketBatchSampler b(f.indices, f.buckets, bs_of, 3);
  b.set_position(pos);
  for (int i = 0; i < 30; ++i) CHECK(b.next() == rest[i]);
  CHECK_THROWS_WITH(b.set_position({0, 999}), Catch::Contains("outside an epoch"));
}

TEST_CASE("sampler: ranks get disjoint slices of the same global batch and the same bucket", "[unit][train]") {
  Fixture f(90);
  const int world = 3;
  std::vector<BucketBatchSampler> ranks;
  for (int r = 0; r < world; ++r) ranks.emplace_back(f.indices, f.buckets, bs_of, 11, r, world);
  BucketBatchSampler single(f.indices, f.buckets, [](const std::string& b) { return bs_of(b) * 3; }, 11);
  CHECK(ranks[0].batches_per_epoch() == single.batches_per_epoch());
  for (int64_t step = 0; step < 2 * ranks[0].batches_per_epoch(); ++step) {
    std::vector<int64_t> global;
    std::string b0;
    for (int r = 0; r < world; ++r) {
      std::string b;
      auto part = ranks[r].next(&b);
      if (r == 0) b0 = b;
      CHECK(b == b0);
      global.insert(global.end(), part.begin(), part.end());
    }
    // The union of the rank slices is the global batch the same plan hands a single process.
    std::string bs;
    CHECK(single.next(&bs) == global);
    CHECK(bs == b0);
    CHECK(std::set<int64_t>(global.begin(), global.end()).size() == global.size());
  }
}

TEST_CASE("sampler: held-out split and errors", "[unit][train]") {
  std::vector<int64_t> train, val;
  split_held_out(20, 4, 5, &train, &val);
  CHECK(val.size() == 4);
  CHECK(train.size() == 16);
  std::vector<int64_t> t2, v2;
  split_held_out(20, 4, 5, &t2, &v2);
  CHECK(v2 == val);
  for (int64_t v : val) CHECK(std::find(train.begin(), train.end(), v) == train.end());
  CHECK_THROWS_WITH(BucketBatchSampler({0, 1}, {"1x8x8", "1x8x8"}, [](const std::string&) { return 4; }, 0),
                    Catch::Contains("no bucket has enough samples"));
}

TEST_CASE("synthetic dataset: deterministic, bucket shapes, images and videos", "[unit][train]") {
  vdf::config::SyntheticDataConfig cfg;
  cfg.size = 10;
  cfg.buckets = {"1x8x8", "3x4x6"};
  vdf::data::SyntheticLatentDataset ds(cfg);
  auto a = ds.get(3), b = ds.get(3);
  CHECK(torch::equal(a.latents, b.latents));
  CHECK(a.bucket == "3x4x6");
  CHECK(a.latents.sizes() == torch::IntArrayRef({4, 3, 4, 6}));
  CHECK(ds.get(2).latents.sizes() == torch::IntArrayRef({4, 1, 8, 8}));
  CHECK(a.text.sizes() == torch::IntArrayRef({8, 32}));
  CHECK(a.text_mask.dtype() == torch::kBool);
  auto batch = vdf::data::collate(ds, {0, 2, 4});
  CHECK(batch.latents.sizes() == torch::IntArrayRef({3, 4, 1, 8, 8}));
  CHECK_THROWS_WITH(vdf::data::collate(ds, {0, 1}), Catch::Contains("latent shape"));
  CHECK_THROWS(vdf::data::parse_bucket_key("1x8"));
}
