// The ingest pipeline with stand-in stages: accounting (accepted + rejected = inputs), shard contents,
// determinism across thread counts, resume after deleting shards, refusing a different config, and
// the kill-at-random-times-then-resume test (SIGKILL'd child processes).
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fcntl.h>

#include <fstream>
#include <random>

#include "data/h5/ingest_pipeline.h"
#include "data/h5/shard_reader.h"
#include "framework/core/atomic_file.h"
#include "tests/ingest/h5/fakes.h"
#include "tests/test_support.h"

extern char** environ;

using namespace vdf::data;
using vdf::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// 14 inputs: 10 fake videos (some with 2 clips, two shapes), one image, and one of each reject kind.
void make_inputs(const fs::path& dir, int sleep_ms = 0) {
  auto put = [&](const std::string& name, const std::string& text) {
    vdf::write_file_atomic(dir / name, text + fmt::format(" sleep_ms={}", sleep_ms));
  };
  std::string csv = "id,path,caption\n";
  for (int i = 0; i < 10; ++i) {
    put(fmt::format("v{}.fake", i), fmt::format("clips={} frames={} h=16 w={}", 1 + i % 2, 2 + i % 3, i % 4 == 3 ? 8 : 16));
    csv += fmt::format("v{},v{}.fake,\"video {}, a red ball\"\n", i, i, i);
  }
  put("img.png", "");
  put("short.fake", "reject=too_short");
  put("broken.fake", "throw=1");
  csv += "img,img.png,an image\n";
  csv += "short,short.fake,too short\n";
  csv += "broken,broken.fake,broken file\n";
  csv += "gone,gone.fake,missing file\n";
  csv += "empty,v1.fake,\n";
  csv += "v2,v2.fake,duplicate id\n";
  vdf::write_file_atomic(dir / "manifest.csv", csv);
}

vdf::config::IngestConfig config_for(const fs::path& in, const fs::path& out, int threads = 2) {
  vdf::config::IngestConfig c;
  c.manifest = (in / "manifest.csv").string();
  c.output = out.string();
  c.inputs_per_shard = 3;
  c.batch_size = 2;
  c.threads = threads;
  c.rank = 0;
  c.world_size = 1;
  c.progress = false;
  return c;
}

const char* kConfigYaml = "ingest: {inputs_per_shard: 3, batch_size: 2}\n";

IngestReport ingest(const vdf::config::IngestConfig& c, int extra_sleep_ms = 0) {
  vdf::testing::FakeClipSource clips;
  clips.extra_sleep_ms = extra_sleep_ms;
  vdf::testing::FakeVae vae;
  vdf::testing::FakeText text;
  return run_ingest(c, kConfigYaml, {&clips, &vae, &text});
}

std::vector<fs::path> shard_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".h5") out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

// Same shard names; per shard the same metadata, input outcomes and bit-identical tensors.
void require_same_shards(const fs::path& a, const fs::path& b) {
  auto fa = shard_files(a), fb = shard_files(b);
  REQUIRE(fa == fb);
  for (const auto& name : fa) {
    INFO("shard " << name);
    ShardFile x(a / name), y(b / name);
    REQUIRE(x.size() == y.size());
    REQUIRE(x.info().inputs.size() == y.info().inputs.size());
    for (size_t i = 0; i < x.info().inputs.size(); ++i)
      CHECK(to_json(x.info().inputs[i]) == to_json(y.info().inputs[i]));
    CHECK(x.info().header.config_sha256 == y.info().header.config_sha256);
    for (int64_t i = 0; i < x.size(); ++i) {
      ShardRecord r = x.read(i), s = y.read(i);
      CHECK(r.meta.latent_sha256 == s.meta.latent_sha256);
      CHECK(r.meta.content_sha256 == s.meta.content_sha256);
      CHECK(r.meta.source == s.meta.source);
      CHECK(r.meta.clip_index == s.meta.clip_index);
      CHECK(torch::equal(r.latents, s.latents));
      CHECK(torch::equal(r.text, s.text));
      CHECK(torch::equal(r.text_mask, s.text_mask));
      CHECK(torch::equal(r.pooled, s.pooled));
    }
  }
}

}  // namespace

TEST_CASE("ingest: every input is accounted for, shards hold the clips", "[unit][ingest][h5]") {
  TempDir in, out;
  make_inputs(in.path());
  IngestReport r = ingest(config_for(in.path(), out.path(), 3));
  CHECK(r.inputs == 16);
  CHECK(r.accepted == 11);
  CHECK(r.rejected == 5);
  CHECK(r.accepted + r.rejected == r.inputs);
  CHECK(r.rejected_by_reason["too_short"] == 1);
  CHECK(r.rejected_by_reason[reject::kDecodeError] == 1);
  CHECK(r.rejected_by_reason[reject::kMissingFile] == 1);
  CHECK(r.rejected_by_reason[reject::kEmptyCaption] == 1);
  CHECK(r.rejected_by_reason[reject::kDuplicateId] == 1);
  CHECK(r.clips == 16);  // 5 videos with 1 clip, 5 with 2, one image
  CHECK(r.clips_encoded == 16);
  CHECK(r.shards == 6);
  CHECK(r.shards_written == 6);

  auto report = nlohmann::json::parse(vdf::read_file(out / "report.json"));
  CHECK(report["inputs"] == 16);
  CHECK(report["rejects"].size() == 5);
  CHECK_THAT(report["rejects"][1]["detail"].get<std::string>(), Catch::Contains("cannot read"));
  CHECK_THAT(r.summary(), Catch::Contains("16 inputs: 11 accepted, 5 rejected"));

  ShardDataset ds(out.path());
  REQUIRE(ds.size() == 16);
  // Samples come in manifest order, clips in order; each clip's text is its input's caption.
  CHECK(ds.meta(0).source == "v0.fake");
  CHECK(ds.meta(1).source == "v1.fake");
  CHECK(ds.meta(2).source == "v1.fake");
  CHECK(ds.meta(2).clip_index == 1);
  CHECK(ds.meta(2).caption == "video 1, a red ball");
  CHECK(ds.meta(15).source == "img.png");
  CHECK(ds.meta(15).frames == 1);
  CHECK(ds.bucket_of(15) == "1x4x4");
  CHECK(ds.meta(15).pixel_bucket == "1x16x16");
  CHECK(ds.bucket_of(3) == "4x4x4");
  CHECK(ds.bucket_of(4) == "2x4x2");
  ShardRecord a = ds.get(1), b = ds.get(2);
  CHECK(torch::equal(a.text, b.text));  // two clips of one input share the caption embedding
  CHECK(a.latents.sizes() == std::vector<int64_t>{4, 3, 4, 4});
  CHECK(ds.header().vae.name == "fake-vae");
  // Every sample's latents equal the stand-in VAE applied to the stand-in clip alone (batching is invisible).
  vdf::testing::FakeClipSource src;
  vdf::testing::FakeVae vae;
  ManifestEntry e;
  e.path = "v1.fake";
  e.resolved = in / "v1.fake";
  auto x = src.extract(e);
  auto video = x.clips[1].frames.permute({3, 0, 1, 2}).unsqueeze(0).to(torch::kFloat32) / 255.0;
  CHECK(torch::equal(b.latents, vae.encode(video).mean[0].to(torch::kFloat16)));
  for (const auto& f : list_shards(out.path())) CHECK(verify_shard(f).problems.empty());
}

TEST_CASE("ingest: shard contents do not depend on the number of decode threads", "[unit][ingest][h5]") {
  TempDir in, one, many;
  make_inputs(in.path());
  ingest(config_for(in.path(), one.path(), 1));
  ingest(config_for(in.path(), many.path(), 5));
  require_same_shards(one.path(), many.path());
}

TEST_CASE("ingest: re-running resumes; a different config is refused", "[unit][ingest][h5]") {
  TempDir in, out;
  make_inputs(in.path());
  auto cfg = config_for(in.path(), out.path());
  IngestReport first = ingest(cfg);
  // Simulate an interrupted run: one shard gone, a stale temporary file left.
  fs::remove(out / shard_file_name(0, 1, 2));
  vdf::write_file_atomic(out / (shard_file_name(0, 1, 4) + ".tmp-99999"), "partial");
  IngestReport second = ingest(cfg);
  CHECK(second.shards_skipped == 5);
  CHECK(second.shards_written == 1);
  CHECK(second.inputs_processed == 3);
  CHECK(second.inputs == first.inputs);
  CHECK(second.clips == first.clips);
  CHECK(second.rejected_by_reason == first.rejected_by_reason);
  CHECK_FALSE(fs::exists(out / (shard_file_name(0, 1, 4) + ".tmp-99999")));
  IngestReport third = ingest(cfg);
  CHECK(third.shards_written == 0);
  CHECK(third.inputs_processed == 0);
  CHECK(third.accepted == first.accepted);

  vdf::testing::FakeClipSource clips;
  vdf::testing::FakeVae vae;
  vdf::testing::FakeText text;
  CHECK_THROWS_WITH(run_ingest(cfg, "ingest: {batch_size: 3}\n", {&clips, &vae, &text}),
                    Catch::Contains("different ingest config"));
  vae.name = "another-vae";
  CHECK_THROWS_WITH(run_ingest(cfg, kConfigYaml, {&clips, &vae, &text}), Catch::Contains("made with VAE 'fake-vae'"));
}

TEST_CASE("ingest: ranks split the inputs and together cover them", "[unit][ingest][h5]") {
  TempDir in, out;
  make_inputs(in.path());
  int64_t inputs = 0, clips = 0;
  for (int r = 0; r < 3; ++r) {
    auto cfg = config_for(in.path(), out.path());
    cfg.rank = r;
    cfg.world_size = 3;
    IngestReport rep = ingest(cfg);
    inputs += rep.inputs;
    clips += rep.clips;
    CHECK(fs::exists(out / fmt::format("report-r{}of3.json", r)));
  }
  CHECK(inputs == 16);
  CHECK(clips == 16);
  CHECK(ShardDataset(out.path()).size() == 16);
  auto index = nlohmann::json::parse(vdf::read_file(out / "index.json"));
  CHECK(index["total_inputs"] == 16);
}

TEST_CASE("ingest: duplicates are dropped in manifest order, also across a resume", "[unit][ingest][h5]") {
  TempDir in, out;
  vdf::write_file_atomic(in / "a.fake", "clips=2");
  vdf::write_file_atomic(in / "b.fake", "clips=1 as=a.fake");  // = clip 0 of a
  vdf::write_file_atomic(in / "c.fake", "clips=1");
  vdf::write_file_atomic(in / "manifest.csv", "path,caption\na.fake,a\nb.fake,b\nc.fake,c\n");
  auto cfg = config_for(in.path(), out.path(), 3);
  cfg.inputs_per_shard = 1;
  auto run = [&] {
    vdf::testing::FakeClipSource clips;
    vdf::testing::FakeVae vae;
    vdf::testing::FakeText text;
    IngestStages stages{&clips, &vae, &text};
    stages.signature = vdf::testing::fake_signature;
    stages.duplicate_max_distance = 0;
    return run_ingest(cfg, kConfigYaml, stages);
  };
  IngestReport r = run();
  CHECK(r.accepted == 2);
  CHECK(r.rejected_by_reason["duplicate"] == 1);
  REQUIRE(r.rejects.size() == 1);
  CHECK(r.rejects[0].path == "b.fake");
  CHECK_THAT(r.rejects[0].detail, Catch::Contains("a.fake#0"));
  fs::remove(out / shard_file_name(0, 1, 1));
  IngestReport again = run();
  CHECK(again.shards_written == 1);
  CHECK(again.rejected_by_reason["duplicate"] == 1);
  CHECK(ShardDataset(out.path()).size() == 3);
}

// Run by the kill test in a child process (hidden from normal runs).
TEST_CASE("ingest child process", "[.ingest-child]") {
  const char* in = std::getenv("VDF_INGEST_CHILD_IN");
  const char* out = std::getenv("VDF_INGEST_CHILD_OUT");
  REQUIRE(in);
  REQUIRE(out);
  ingest(config_for(in, out, 2), /*extra_sleep_ms=*/40);
}

TEST_CASE("ingest: killed with SIGKILL at random times, then re-run, equals an uninterrupted run", "[e2e][ingest][h5]") {
  TempDir in, ref, out;
  make_inputs(in.path());
  ingest(config_for(in.path(), ref.path(), 2));

  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  REQUIRE(n > 0);
  exe[n] = '\0';
  setenv("VDF_INGEST_CHILD_IN", in.path().c_str(), 1);
  setenv("VDF_INGEST_CHILD_OUT", out.path().c_str(), 1);
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(100, 1500);
  int killed_with_partial_output = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    char* argv[] = {exe, const_cast<char*>("ingest child process"), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, exe, &actions, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    const int ms = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const auto done = shard_files(out.path()).size();
    INFO("attempt " << attempt << " killed after " << ms << " ms with " << done << " shards complete");
    if (WIFSIGNALED(status) && done < 6) ++killed_with_partial_output;
  }
  unsetenv("VDF_INGEST_CHILD_IN");
  unsetenv("VDF_INGEST_CHILD_OUT");
  WARN("kills that interrupted an unfinished ingest: " << killed_with_partial_output << " of 4");
  IngestReport r = ingest(config_for(in.path(), out.path(), 2));
  CHECK(r.accepted + r.rejected == 16);
  require_same_shards(ref.path(), out.path());
  for (const auto& e : fs::directory_iterator(out.path()))
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}
