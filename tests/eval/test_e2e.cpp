// End-to-end `vdf eval` / `vdf fid` on clips made from ../shared/assets/videos (frames extracted with the
// ffmpeg CLI, stored as .safetensors clips) with recipe weights — labelled non-standard in every output.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "eval/metrics/media.h"
#include "eval/report/png.h"
#include "framework/image/png.h"
#include "framework/core/atomic_file.h"
#include "framework/models/clip/clip_loader.h"
#include "framework/models/clip/preprocess.h"
#include "framework/models/clip/tokenizer.h"
#include "tests/eval/eval_test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;
using vdf::testing::run_command;

namespace {

bool have_ffmpeg() { return run_command("ffmpeg -version").exit_code == 0; }

// Frames [first, first+count) of `video` (stream map), scaled to w x h, as uint8 [T,H,W,3].
torch::Tensor extract(const std::string& video, const std::string& map, int first, int count, int w, int h) {
  vdf::testing::TempDir tmp("vdf-ff");
  const fs::path raw = tmp / "f.rgb";
  const std::string cmd = fmt::format(
      "ffmpeg -nostdin -hide_banner -v error -y -i {} -map {} -vf \"select=between(n\\,{}\\,{}),scale={}:{}\" "
      "-fps_mode passthrough -f rawvideo -pix_fmt rgb24 {}",
      vdf::testing::shared("assets/videos/" + video).string(), map, first, first + count - 1, w, h, raw.string());
  auto r = run_command(cmd);
  INFO(cmd << "\n" << r.output);
  REQUIRE(r.exit_code == 0);
  const std::string bytes = vdf::read_file(raw);
  REQUIRE(bytes.size() == static_cast<size_t>(count) * w * h * 3);
  auto t = torch::empty({count, h, w, 3}, torch::kUInt8);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

json read_json(const fs::path& p) { return json::parse(vdf::read_file(p)); }

}  // namespace

TEST_CASE("e2e: vdf eval fid+is+fvd+clip on real clips with recipe weights, stats cache reuse", "[e2e][eval][slow]") {
  EVAL_REQUIRE_SHARED("assets/videos/nasa_13013.mp4");
  if (!vdf::testing::require_or_skip(have_ffmpeg(), "the ffmpeg CLI is not installed")) return;
  vdf::testing::TempDir tmp("vdf-e2e-eval");
  fs::create_directories(tmp / "gen");
  fs::create_directories(tmp / "ref");
  // generated: nasa 320x180 stream at three offsets; reference: the 480x270 stream and av1 clip.
  for (int i = 0; i < 3; ++i)
    vdf::eval::save_clip_safetensors(tmp / fmt::format("gen/clip{}.safetensors", i),
                                     extract("nasa_13013.mp4", "0:v:0", 40 + 90 * i, 16, 128, 72), 25.0);
  vdf::eval::save_clip_safetensors(tmp / "ref/a.safetensors", extract("nasa_13013.mp4", "0:v:1", 10, 16, 160, 90), 29.97);
  vdf::eval::save_clip_safetensors(tmp / "ref/b.safetensors", extract("av1_video.mkv", "0:v:0", 30, 16, 160, 90), 25.0);
  vdf::eval::save_clip_safetensors(tmp / "ref/c.safetensors", extract("nasa_13013.mp4", "0:v:1", 200, 16, 160, 90), 29.97);
  vdf::write_file_atomic(tmp / "prompts.txt", "a rocket launch\nastronauts in orbit\nthe earth from space\n");
  fs::create_directories(tmp / "run");
  vdf::write_file_atomic(tmp / "run/metrics.jsonl", "{\"step\": 0, \"loss\": 1.0}\n{\"step\": 10, \"loss\": 0.5}\n"
                                                    "{\"step\": 20, \"loss\": 0.25, \"fid\": 80}\n");
  const std::string base = vdf::testing::vdf_exe() + " eval --generated " + (tmp / "gen").string() + " --reference " +
                           (tmp / "ref").string() + " --prompts " + (tmp / "prompts.txt").string() +
                           " --metrics fid,is,fvd,clip --weights recipe --i3d-weights recipe --clip-weights recipe" +
                           " --device cpu --stats-cache " + (tmp / "cache").string() + " --run-dir " +
                           (tmp / "run").string() + " eval.fid_frames_per_clip=2 eval.is_splits=2 eval.clip_model=tiny" +
                           " eval.clip_tokenizer=" +
                           vdf::testing::shared("assets/tokenizers/bpe_simple_vocab_16e6.txt.gz").string();
  auto r1 = run_command(base + " --out " + (tmp / "out1").string());
  INFO(r1.output);
  REQUIRE(r1.exit_code == 0);
  CHECK_THAT(r1.output, Catch::Contains("NON-STANDARD WEIGHTS"));
  auto j1 = read_json(tmp / "out1/report.json");
  for (const char* m : {"fid", "is", "fvd", "clip"}) {
    INFO(m);
    REQUIRE(j1["metrics"].contains(m));
    CHECK(std::isfinite(j1["metrics"][m]["value"].get<double>()));
    CHECK(j1["metrics"][m]["provenance"]["weights_standard"] == "false");
    CHECK(j1["metrics"][m]["provenance"]["weights_format"] == "recipe");
    CHECK_FALSE(j1["metrics"][m]["warnings"].empty());
  }
  CHECK(j1["metrics"]["fid"]["provenance"]["generated_samples"] == 6);
  CHECK(j1["metrics"]["fid"]["provenance"]["reference_samples"] == 6);
  CHECK(j1["metrics"]["fvd"]["provenance"]["protocol"] == "stylegan-v");
  CHECK(j1["metrics"]["fvd"]["provenance"]["frames"] == "16");
  CHECK(j1["metrics"]["fvd"]["provenance"]["covariance"] == "biased");
  CHECK(j1["metrics"]["fvd"]["provenance"]["generated_samples"] == 3);
  CHECK(j1["metrics"]["fid"]["value"].get<double>() > 0);
  CHECK(j1["metrics"]["clip"]["per_clip"].size() == 3);
  CHECK(j1["warnings"].size() == 3);  // Inception, I3D, CLIP: all recipe weights
  const std::string html = vdf::read_file(tmp / "out1/report.html");
  CHECK(html.find("id=\"metrics\"") != std::string::npos);
  CHECK(html.find("data:image/png;base64,") != std::string::npos);
  CHECK(html.find("astronauts in orbit") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("NON-STANDARD WEIGHTS") != std::string::npos);
  // Second run: reference statistics come from the cache and the numbers are identical.
  auto r2 = run_command(base + " --out " + (tmp / "out2").string());
  INFO(r2.output);
  REQUIRE(r2.exit_code == 0);
  CHECK_THAT(r2.output, Catch::Contains("reusing cached reference statistics"));
  auto j2 = read_json(tmp / "out2/report.json");
  CHECK(j2["metrics"]["fid"]["value"] == j1["metrics"]["fid"]["value"]);
  CHECK(j2["metrics"]["fvd"]["value"] == j1["metrics"]["fvd"]["value"]);
  CHECK(j2["metrics"]["fid"]["provenance"]["reference"]["source"] == "cache");
  // A cached stats file made with other settings is refused when passed explicitly.
  fs::path fid_stats;
  for (const auto& e : fs::directory_iterator(tmp / "cache"))
    if (e.path().filename().string().rfind("fid-", 0) == 0) fid_stats = e.path();
  REQUIRE_FALSE(fid_stats.empty());
  auto r3 = run_command(vdf::testing::vdf_exe() + " eval --generated " + (tmp / "gen").string() + " --reference " +
                        fid_stats.string() + " --metrics fid --weights recipe --device cpu --fid-preprocess clean --out " +
                        (tmp / "out3").string() + " eval.fid_frames_per_clip=2");
  INFO(r3.output);
  CHECK(r3.exit_code == 1);
  CHECK_THAT(r3.output, Catch::Contains("refusing"));
  fs::copy_file(tmp / "out1/report.html", vdf::eval::testing::test_output_dir() / "e2e_report.html",
                fs::copy_options::overwrite_existing);
}

TEST_CASE("e2e: vdf fid between two image folders and a saved statistics file", "[e2e][eval]") {
  EVAL_REQUIRE_SHARED("golden/inception_fid/images");
  vdf::testing::TempDir tmp("vdf-e2e-fid");
  // Folders of PNGs written by our encoder from golden frames (no decoder needed for the statistics path).
  auto g = vdf::eval::testing::golden("inception_fid/inception_fid.safetensors");
  fs::create_directories(tmp / "a");
  for (int i = 0; i < 3; ++i)
    vdf::write_file_atomic(tmp / fmt::format("a/{}.png", i), vdf::image::encode_png(g.at(fmt::format("image_{}_u8", i))));
  auto help = run_command(vdf::testing::vdf_exe() + " fid --help");
  CHECK_THAT(help.output, Catch::Contains("--dims"));
  CHECK_THAT(help.output, Catch::Contains("--save-stats"));
  CHECK_THAT(help.output, Catch::Contains("2048"));
  auto bad = run_command(vdf::testing::vdf_exe() + " fid " + (tmp / "nope").string() + " " + (tmp / "a").string() +
                         " --weights recipe --device cpu");
  CHECK(bad.exit_code == 1);
  auto s = run_command(vdf::testing::vdf_exe() + " fid --save-stats " + (tmp / "a").string() + " " +
                       (tmp / "a.safetensors").string() + " --weights recipe --device cpu --dims 64");
  INFO(s.output);
  if (!vdf::testing::require_or_skip(s.output.find("no image decoding") == std::string::npos,
                                     "this build cannot decode images (built without FFmpeg)"))
    return;
  REQUIRE(s.exit_code == 0);
  auto f = run_command(vdf::testing::vdf_exe() + " fid " + (tmp / "a").string() + " " + (tmp / "a.safetensors").string() +
                       " --weights recipe --device cpu --dims 64");
  INFO(f.output);
  REQUIRE(f.exit_code == 0);
  CHECK_THAT(f.output, Catch::Contains("FID:"));
  const double fid = std::atof(f.output.c_str() + f.output.find("FID:") + 4);
  CHECK(std::abs(fid) < 1e-6);  // same images -> 0 (up to round-off)
  auto mismatch = run_command(vdf::testing::vdf_exe() + " fid " + (tmp / "a").string() + " " +
                              (tmp / "a.safetensors").string() + " --weights recipe --device cpu --dims 192");
  CHECK(mismatch.exit_code == 1);
  CHECK_THAT(mismatch.output, Catch::Contains("refusing"));
}

TEST_CASE("e2e: vdf eval --metrics clip (tiny CLIP, recipe weights): per-prompt scores, provenance, HTML in Chromium",
          "[e2e][eval][clip]") {
  EVAL_REQUIRE_SHARED("assets/videos/nasa_13013.mp4");
  EVAL_REQUIRE_SHARED("assets/tokenizers/bpe_simple_vocab_16e6.txt.gz");
  if (!vdf::testing::require_or_skip(have_ffmpeg(), "the ffmpeg CLI is not installed")) return;
  vdf::testing::TempDir tmp("vdf-e2e-clip");
  fs::create_directories(tmp / "gen");
  const std::vector<std::string> prompts = {"a rocket launch on a clear day", "a television test pattern",
                                            "a rocket launch on a clear day"};
  std::vector<torch::Tensor> frames = {extract("nasa_13013.mp4", "0:v:0", 40, 4, 128, 72),
                                       extract("testsrc2_vp9.webm", "0:v:0", 5, 4, 128, 72),
                                       extract("nasa_13013.mp4", "0:v:0", 200, 4, 128, 72)};
  for (int i = 0; i < 3; ++i)
    vdf::eval::save_clip_safetensors(tmp / fmt::format("gen/clip{}.safetensors", i), frames[i], 25.0);
  vdf::write_file_atomic(tmp / "prompts.txt", prompts[0] + "\n" + prompts[1] + "\n" + prompts[2] + "\n");
  fs::create_directories(tmp / "run");
  vdf::write_file_atomic(tmp / "run/metrics.jsonl",
                         "{\"kind\":\"train\",\"step\":1,\"loss\":1.0,\"lr\":0.001}\n"
                         "{\"kind\":\"train\",\"step\":2,\"loss\":0.7,\"lr\":0.001}\n"
                         "{\"kind\":\"val\",\"step\":2,\"val_loss\":0.9,\"val_loss_t\":{\"0.5\":0.8}}\n"
                         "{\"kind\":\"train\",\"step\":3,\"loss\":0.5,\"lr\":0.0005}\n");
  const std::string bpe = vdf::testing::shared("assets/tokenizers/bpe_simple_vocab_16e6.txt.gz").string();
  const std::string base = vdf::testing::vdf_exe() + " eval --generated " + (tmp / "gen").string() + " --prompts " +
                           (tmp / "prompts.txt").string() + " --metrics clip --clip-weights recipe --device cpu " +
                           "eval.clip_model=tiny eval.clip_tokenizer=" + bpe;
  auto r = run_command(base + " --out " + (tmp / "out").string() + " --run-dir " + (tmp / "run").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("NON-STANDARD WEIGHTS"));
  CHECK_THAT(r.output, Catch::Contains("clip: "));
  auto j = read_json(tmp / "out/report.json");
  REQUIRE(j["metrics"].contains("clip"));
  const auto& m = j["metrics"]["clip"];
  const auto& prov = m["provenance"];
  CHECK(prov["weights_standard"] == "false");
  CHECK(prov["weights_format"] == "recipe");
  CHECK(prov["model"] == "tiny");
  CHECK(prov["clamp"] == "none");
  CHECK(prov["frame_prompt_pairs"] == 12);
  CHECK_THAT(prov["tokenizer"].get<std::string>(), Catch::Contains("924691ac288e5440"));  // sha256 of the BPE file
  CHECK_THAT(prov["preprocessing"].get<std::string>(), Catch::Contains("_transform(64)"));
  CHECK_FALSE(m["warnings"].empty());
  REQUIRE(m["per_clip"].size() == 3);
  REQUIRE(m["per_prompt"].size() == 2);  // two distinct prompts
  CHECK(m["per_prompt"][0]["clips"] == 2);

  // The same numbers computed here directly with the framework's CLIP (same recipe, same tokenizer).
  vdf::clip::ClipModel model(vdf::clip::ClipConfig::tiny());
  vdf::clip::fill_clip_recipe(*model);
  model->eval();
  vdf::clip::ClipTokenizer tok(bpe);
  torch::NoGradGuard ng;
  double sum = 0;
  for (int i = 0; i < 3; ++i) {
    std::vector<torch::Tensor> x;
    for (int t = 0; t < 4; ++t) x.push_back(vdf::clip::clip_preprocess(frames[i][t], 64));
    auto img = model->encode_image(torch::stack(x, 0));
    auto txt = model->encode_text(tok.tokenize({prompts[i]}));
    auto cos = torch::nn::functional::cosine_similarity(img, txt.expand_as(img),
                                                        torch::nn::functional::CosineSimilarityFuncOptions().dim(1));
    const double expect = 100 * cos.to(torch::kFloat64).mean().item<double>();
    sum += expect;
    const auto& pc = m["per_clip"][i];
    INFO("clip " << i);
    CHECK(pc["clip"] == fmt::format("clip{}.safetensors", i));
    CHECK(pc["prompt"] == prompts[i]);
    CHECK(pc["frames"] == 4);
    CHECK(pc["score_unclamped"].get<double>() == Approx(expect).margin(1e-3));
    CHECK(pc["score"] == pc["score_unclamped"]);
  }
  CHECK(m["value"].get<double>() == Approx(sum / 3).margin(1e-3));
  CHECK(m["per_prompt"][0]["score"].get<double>() ==
        Approx((m["per_clip"][0]["score"].get<double>() + m["per_clip"][2]["score"].get<double>()) / 2));

  // Other conventions through the config: torchmetrics clamp, 2 frames per clip.
  auto r2 = run_command(base + " --out " + (tmp / "out2").string() + " eval.clip_clamp=torchmetrics eval.clip_frames_per_clip=2");
  INFO(r2.output);
  REQUIRE(r2.exit_code == 0);
  auto j2 = read_json(tmp / "out2/report.json");
  const auto& m2 = j2["metrics"]["clip"];
  CHECK(m2["provenance"]["clamp"] == "torchmetrics");
  CHECK(m2["provenance"]["frame_prompt_pairs"] == 6);
  for (const auto& pc : m2["per_clip"]) {
    CHECK(pc["frames"] == 2);
    CHECK(pc["score"].get<double>() == std::max(pc["score_unclamped"].get<double>(), 0.0));
  }
  CHECK(m2["value"].get<double>() >= 0.0);
  // Without prompts the CLIP score is refused with a message.
  auto r3 = run_command(vdf::testing::vdf_exe() + " eval --generated " + (tmp / "gen").string() +
                        " --metrics clip --clip-weights recipe --device cpu eval.clip_model=tiny --out " + (tmp / "out3").string());
  CHECK(r3.exit_code == 1);
  CHECK_THAT(r3.output, Catch::Contains("--prompts"));

  const std::string html = vdf::read_file(tmp / "out/report.html");
  CHECK(html.find("id=\"clip-prompts\"") != std::string::npos);
  CHECK(html.find("id=\"clip-scores\"") != std::string::npos);
  CHECK(html.find("a television test pattern") != std::string::npos);
  CHECK(html.find(fmt::format("{:.6f}", m["per_clip"][1]["score"].get<double>())) != std::string::npos);
  CHECK(html.find("Training loss") != std::string::npos);
  CHECK(html.find("validation loss") != std::string::npos);
  CHECK(html.find("Learning rate") != std::string::npos);
  CHECK(html.find("train/step_time") == std::string::npos);
  const fs::path keep = vdf::eval::testing::test_output_dir() / "e2e_clip_report.html";
  fs::copy_file(tmp / "out/report.html", keep, fs::copy_options::overwrite_existing);

  // The real report in headless Chromium: loads, shows the metric table, the CLIP table, frames and plots.
  const std::string chromium = vdf::eval::testing::find_chromium();
  if (!vdf::testing::require_or_skip(!chromium.empty(), "the Chromium check: chromium is not installed")) return;
  auto shot = vdf::eval::testing::render_in_chromium(chromium, keep, vdf::eval::testing::test_output_dir() / "e2e_clip_report.png");
  INFO(shot.dom.output.substr(0, 2000));
  REQUIRE(shot.dom.exit_code == 0);
  CHECK(shot.dom.output.find("id=\"metrics\"") != std::string::npos);
  CHECK(shot.dom.output.find("id=\"clip-scores\"") != std::string::npos);
  CHECK(vdf::eval::testing::count_of(shot.dom.output, "<img") == 9);  // 3 clips x (first, middle, last)
  CHECK(vdf::eval::testing::count_of(shot.dom.output, "<svg") == 2);  // loss (train + val), lr
  INFO(shot.screenshot.output);
  CHECK(shot.screenshot.exit_code == 0);
  CHECK(shot.console.empty());  // loads without errors
  REQUIRE(fs::exists(shot.png));
  CHECK(fs::file_size(shot.png) > 10000);
  WARN("chromium screenshot of the vdf eval report: " << shot.png.string());
}
