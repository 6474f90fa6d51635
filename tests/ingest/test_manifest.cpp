// Manifest parsing: RFC 4180 CSV, JSONL, per-row rejections (missing file, empty caption, duplicate id,
// malformed rows), split filter, rank slicing.
#include <catch2/catch.hpp>

#include "data/ingest/manifest.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "tests/test_support.h"

using namespace vdf::data;
using vdf::testing::TempDir;

TEST_CASE("manifest: RFC 4180 CSV quoting, CRLF, embedded newlines", "[unit][ingest]") {
  std::vector<int64_t> lines;
  auto rows = parse_csv("path,caption\r\na.mp4,\"a, b \"\"quoted\"\"\"\r\n\r\n\"b\nc.mp4\",x\ny.mp4,\n", &lines);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1][0] == "a.mp4");
  CHECK(rows[1][1] == "a, b \"quoted\"");
  CHECK(rows[2][0] == "b\nc.mp4");
  CHECK(lines[2] == 4);
  CHECK(lines[3] == 6);
  CHECK(rows[3].size() == 2);
  CHECK(rows[3][1].empty());
  CHECK_THROWS_WITH(parse_csv("a,\"open\n"), Catch::Contains("never closed"));
}

TEST_CASE("manifest: CSV rows are checked and rejected with reasons", "[unit][ingest]") {
  TempDir dir;
  vdf::write_file_atomic(dir / "v1.mp4", "x");
  vdf::write_file_atomic(dir / "img.PNG", "x");
  vdf::write_file_atomic(dir / "m.csv",
                         "id,path,caption,split\n"
                         "a,v1.mp4,a cat,train\n"
                         "b,missing.mp4,a dog,train\n"
                         "c,v1.mp4,   ,train\n"
                         "a,v1.mp4,again,train\n"
                         "e,img.PNG,\"an image, with comma\",val\n"
                         "f,v1.mp4\n");
  Manifest m = read_manifest(dir / "m.csv");
  REQUIRE(m.entries.size() == 6);
  CHECK(m.entries[0].reject_reason.empty());
  CHECK(m.entries[0].resolved == dir / "v1.mp4");
  CHECK(m.entries[1].reject_reason == reject::kMissingFile);
  CHECK(m.entries[2].reject_reason == reject::kEmptyCaption);
  CHECK(m.entries[3].reject_reason == reject::kDuplicateId);
  CHECK_THAT(m.entries[3].reject_detail, Catch::Contains("line 2"));
  CHECK(m.entries[4].reject_reason.empty());
  CHECK(m.entries[4].is_image);
  CHECK(m.entries[4].caption == "an image, with comma");
  CHECK(m.entries[5].reject_reason == reject::kMalformedRow);
  for (size_t i = 0; i < m.entries.size(); ++i) CHECK(m.entries[i].row == int64_t(i));

  Manifest val = read_manifest(dir / "m.csv", "auto", "val");
  REQUIRE(val.entries.size() == 2);  // the val row and the malformed row (its split is unknown)
  CHECK(val.entries[0].path == "img.PNG");
}

TEST_CASE("manifest: JSONL with aliases, blank lines and bad lines", "[unit][ingest]") {
  TempDir dir;
  vdf::write_file_atomic(dir / "v.mp4", "x");
  vdf::write_file_atomic(dir / "m.jsonl",
                         "{\"path\": \"v.mp4\", \"caption\": \"one\"}\n\n"
                         "{\"video\": \"v.mp4\", \"text\": \"two\", \"id\": 7}\n"
                         "not json\n"
                         "{\"caption\": \"no path\"}\n"
                         "{\"path\": \"v.mp4\", \"caption\": \"dup of first\"}\n");
  Manifest m = read_manifest(dir / "m.jsonl");
  REQUIRE(m.entries.size() == 5);
  CHECK(m.entries[0].reject_reason.empty());
  CHECK(m.entries[1].reject_reason.empty());
  CHECK(m.entries[1].id == "7");
  CHECK(m.entries[1].line == 3);
  CHECK(m.entries[2].reject_reason == reject::kMalformedRow);
  CHECK(m.entries[3].reject_reason == reject::kMalformedRow);
  CHECK(m.entries[4].reject_reason == reject::kDuplicateId);
}

TEST_CASE("manifest: unusable manifests are errors naming the file", "[unit][ingest]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_manifest(dir / "none.csv"), Catch::Contains("none.csv"));
  vdf::write_file_atomic(dir / "h.csv", "file_name,label\na,b\n");
  CHECK_THROWS_WITH(read_manifest(dir / "h.csv"), Catch::Contains("header row must name"));
  vdf::write_file_atomic(dir / "e.csv", "");
  CHECK_THROWS_WITH(read_manifest(dir / "e.csv"), Catch::Contains("empty"));
}

TEST_CASE("manifest: rank slices partition the inputs", "[unit][ingest]") {
  std::vector<ManifestEntry> all(10);
  for (int i = 0; i < 10; ++i) all[i].row = i;
  std::vector<int64_t> seen;
  for (int r = 0; r < 3; ++r)
    for (const auto& e : rank_slice(all, r, 3)) {
      CHECK(e.row % 3 == r);
      seen.push_back(e.row);
    }
  std::sort(seen.begin(), seen.end());
  CHECK(seen.size() == 10);
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK_THROWS(rank_slice(all, 3, 3));
}
