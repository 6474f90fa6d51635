// Core utilities: hashing, atomic files, progress formatting, the CLI basics.
#include <catch2/catch.hpp>

#include <filesystem>

#include "framework/core/atomic_file.h"
#include "framework/core/hash.h"
#include "framework/core/progress.h"
#include "tests/test_support.h"

using namespace vdf;

TEST_CASE("hash: fnv1a64 and sha256 known answers", "[unit]") {
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string million(1000000, 'a');
  CHECK(sha256_hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("atomic files: content lands whole, no temporary is left behind", "[unit]") {
  testing::TempDir tmp;
  auto path = tmp / "f.txt";
  write_file_atomic(path, "hello");
  CHECK(read_file(path) == "hello");
  write_file_atomic(path, "world!");
  CHECK(read_file(path) == "world!");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.path())) (void)e, ++n;
  CHECK(n == 1);
  CHECK_THROWS_WITH(read_file(tmp / "missing"), Catch::Contains("missing"));
  CHECK_THROWS_WITH(write_file_atomic(tmp / "no/such/dir/x", "a"), Catch::Contains("no/such/dir/x"));
}

TEST_CASE("progress: durations and line format", "[unit]") {
  CHECK(ProgressBar::format_duration(0) == "00:00");
  CHECK(ProgressBar::format_duration(75) == "01:15");
  CHECK(ProgressBar::format_duration(3725) == "1:02:05");
  CHECK(ProgressBar::format_duration(-1) == "--:--");
  ProgressBar bar("work", 10, "clips", 1e9);
  bar.advance(5);
  auto line = bar.render_line();
  CHECK_THAT(line, Catch::Contains("5/10"));
  CHECK_THAT(line, Catch::Contains("clips/s"));
  CHECK_THAT(line, Catch::Contains("ETA"));
  bar.finish();
}

TEST_CASE("cli: --version, --help with defaults, config printing and errors", "[e2e][cli]") {
  auto v = testing::run_command(testing::vdf_exe() + " --version");
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.output, Catch::Contains("LibTorch"));
  CHECK_THAT(v.output, Catch::Contains("CUDA"));
  auto h = testing::run_command(testing::vdf_exe() + " config --help");
  CHECK(h.exit_code == 0);
  auto c = testing::run_command(testing::vdf_exe() + " config --config " +
                                (testing::source_dir() / "tests/fixtures/configs/child.yaml").string() +
                                " run.seed=5");
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.output, Catch::Contains("seed: 5"));
  auto bad = testing::run_command(testing::vdf_exe() + " config --config " +
                                  (testing::source_dir() / "tests/fixtures/configs/child.yaml").string() +
                                  " run.sedd=5");
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("run.sedd"));
  auto none = testing::run_command(testing::vdf_exe() + " nosuchcommand");
  CHECK(none.exit_code != 0);
}
