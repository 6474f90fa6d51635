#include "eval/evaluate.h"

#include <fstream>
#include <sstream>

#include "eval/metrics/features.h"
#include "eval/metrics/frechet.h"
#include "eval/metrics/inception_score.h"
#include "eval/metrics/media.h"
#include "eval/metrics/stats_cache.h"
#include "eval/report/html_report.h"
#include "framework/core/atomic_file.h"
#include "framework/core/compat.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "vdf/version.h"

namespace vdf::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool wants(const config::EvalConfig& c, const std::string& m) {
  return std::find(c.metrics.begin(), c.metrics.end(), m) != c.metrics.end();
}

std::vector<Clip> load_clips(const fs::path& dir) {
  std::vector<Clip> clips;
  for (const auto& f : list_files(dir, is_clip_file)) clips.push_back(load_clip(dir / f));
  if (clips.empty()) {  // a folder of images: each image is a one-frame clip
    for (const auto& f : list_files(dir, is_image_file)) {
      Clip c;
      c.name = f;
      c.frames = load_image(dir / f).unsqueeze(0);
      clips.push_back(c);
    }
  }
  VDF_CHECK(!clips.empty(), "'{}' contains no clips (.mp4 .mkv .webm .avi .mov .safetensors) or images", dir.string());
  return clips;
}

std::vector<std::string> read_prompts(const fs::path& path, const std::vector<Clip>& clips) {
  std::vector<std::string> prompts(clips.size());
  if (path.empty()) return prompts;
  std::ifstream in(path);
  VDF_CHECK(in.good(), "cannot read prompts file '{}'", path.string());
  std::string line;
  if (path.extension() == ".jsonl") {
    std::map<std::string, std::string> by_name;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json j;
      try {
        j = json::parse(line);
      } catch (const std::exception& e) {
        fail("'{}' line {}: bad JSON: {}", path.string(), n, e.what());
      }
      VDF_CHECK(j.contains("prompt"), "'{}' line {}: no \"prompt\" field", path.string(), n);
      const std::string key = j.contains("video") ? j["video"].get<std::string>() : j.value("file", "");
      by_name[fs::path(key).filename().string()] = j["prompt"].get<std::string>();
    }
    for (size_t i = 0; i < clips.size(); ++i) {
      auto it = by_name.find(clips[i].name);
      VDF_CHECK(it != by_name.end(), "prompts file '{}' has no entry for clip '{}'", path.string(), clips[i].name);
      prompts[i] = it->second;
    }
    return prompts;
  }
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  VDF_CHECK(lines.size() == clips.size(), "prompts file '{}' has {} prompts for {} generated clips (one per line, in "
                                          "sorted clip order)", path.string(), lines.size(), clips.size());
  return lines;
}

std::string fmt_value(double v) { return fmt::format("{:.6f}", v); }

// The reference side of a Fréchet metric: a stats file, or clips whose statistics are computed (and cached).
struct ReferenceSide {
  Gaussian gaussian;
  json provenance;
};

std::vector<std::pair<std::string, std::string>> prov_pairs(const json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = j.begin(); it != j.end(); ++it)
    out.emplace_back(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  return out;
}

}  // namespace

std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> read_metrics_jsonl(const fs::path& path) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> series;
  std::ifstream in(path);
  VDF_CHECK(in.good(), "cannot read '{}'", path.string());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const std::exception& e) {
      VDF_WARN("'{}' line {}: skipped (bad JSON: {})", path.string(), n, e.what());
      continue;
    }
    if (!j.is_object()) continue;
    const double x = j.contains("step") && j["step"].is_number() ? j["step"].get<double>() : n;
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "step" && it.value().is_number()) {
        series[it.key()].first.push_back(x);
        series[it.key()].second.push_back(it.value().get<double>());
      }
  }
  return series;
}

EvalOutcome run_eval(const EvalRequest& req) {
  const auto& cfg = req.config;
  cfg.validate(config::Check("eval"));
  const torch::Device device = resolve_device(cfg.device);
  fs::create_directories(req.out);
  VDF_INFO("eval: loading generated clips from '{}'", req.generated.string());
  const auto gen = load_clips(req.generated);
  const auto prompts = read_prompts(req.prompts, gen);

  // Reference inputs: folders of clips and statistics files.
  std::vector<Clip> ref_clips;
  std::vector<fs::path> ref_stats;
  std::string ref_fingerprint;
  for (const auto& r : req.references) {
    if (fs::is_directory(r)) {
      auto files = list_files(r, [](const fs::path& p) { return is_clip_file(p) || is_image_file(p); });
      ref_fingerprint += folder_fingerprint(r, files);
      auto clips = load_clips(r);
      ref_clips.insert(ref_clips.end(), clips.begin(), clips.end());
    } else {
      VDF_CHECK(fs::exists(r), "reference '{}' does not exist", r.string());
      ref_stats.push_back(r);
    }
  }

  json report;
  report["vdf_version"] = VDF_VERSION;
  report["git_revision"] = VDF_GIT_REVISION;
  report["torch"] = compat::torch_version();
  report["command"] = req.command_line;
  report["device"] = device.str();
  int64_t gen_frames = 0;
  for (const auto& c : gen) gen_frames += c.frames.size(0);
  report["generated"] = {{"path", fs::absolute(req.generated).string()}, {"clips", gen.size()}, {"frames", gen_frames}};
  json refs = json::array();
  for (const auto& r : req.references) refs.push_back(fs::absolute(r).string());
  report["reference"] = {{"paths", refs}, {"clips", ref_clips.size()}};
  report["metrics"] = json::object();
  std::vector<std::string> loud;
  std::vector<report::MetricRow> rows;

  // Reference statistics for one metric: from a stats file (validated) or computed from the clips.
  auto reference_side = [&](const std::string& metric, const StatsMeta& want,
                            const std::function<Gaussian()>& compute) -> ReferenceSide {
    ReferenceSide side;
    for (const auto& p : ref_stats) {
      auto loaded = load_stats(p);
      if (loaded.meta.count("metric") && loaded.meta.at("metric") != metric) continue;
      check_stats_compatible(want, loaded.meta, p.string());
      side.gaussian = loaded.gaussian;
      side.provenance = {{"source", "statistics file"}, {"path", fs::absolute(p).string()}, {"n", loaded.gaussian.n}};
      return side;
    }
    VDF_CHECK(!ref_clips.empty(), "{}: no reference clips and no {} statistics file among --reference", metric, metric);
    fs::path cache;
    if (!cfg.stats_cache.empty()) {
      cache = stats_cache_path(cfg.stats_cache, want, ref_fingerprint);
      if (fs::exists(cache)) {
        auto loaded = load_stats(cache);
        check_stats_compatible(want, loaded.meta, cache.string());
        VDF_INFO("{}: reusing cached reference statistics '{}'", metric, cache.string());
        side.gaussian = loaded.gaussian;
        side.provenance = {{"source", "cache"}, {"path", cache.string()}, {"n", loaded.gaussian.n}};
        return side;
      }
    }
    side.gaussian = compute();
    side.provenance = {{"source", "computed from clips"}, {"clips", ref_clips.size()}, {"n", side.gaussian.n}};
    if (!cache.empty()) {
      StatsMeta m = want;
      m["source"] = ref_fingerprint;
      save_stats(cache, side.gaussian, m);
      side.provenance["cached_to"] = cache.string();
    }
    return side;
  };

  const fs::path rkeys = req.recipe_dir;
  // ---- FID and IS (Inception) ----
  if (wants(cfg, "fid") || wants(cfg, "is")) {
    auto net = InceptionExtractor::load(cfg.inception_weights, device, rkeys.empty() ? fs::path() : rkeys / "inception_fid/keys.txt");
    const auto& wp = net.provenance();
    if (!wp.warning.empty()) loud.push_back("Inception: " + wp.warning);
    const auto pre = parse_fid_preprocess(cfg.fid_preprocess);
    const bool need_is = wants(cfg, "is");
    auto gen_run = inception_features(net, frames_of_clips(gen, cfg.fid_frames_per_clip), pre,
                                      wants(cfg, "fid") ? cfg.fid_dims : 2048, cfg.batch_size, need_is);
    json wprov = wp.to_map();
    if (wants(cfg, "fid")) {
      const auto cov = parse_cov_convention(cfg.fid_covariance);
      StatsMeta want{{"metric", "fid"},
                     {"network", wp.network},
                     {"weights_sha256", wp.sha256},
                     {"preprocessing", to_string(pre)},
                     {"dims", std::to_string(cfg.fid_dims)},
                     {"covariance", to_string(cov)},
                     {"frames_per_clip", std::to_string(cfg.fid_frames_per_clip)}};
      auto ref = reference_side("fid", want, [&] {
        auto run = inception_features(net, frames_of_clips(ref_clips, cfg.fid_frames_per_clip), pre, cfg.fid_dims,
                                      cfg.batch_size, false);
        return gaussian_from_features(run.features, cov);
      });
      auto g = gaussian_from_features(gen_run.features, cov);
      FrechetOptions fo;
      fo.eps_fallback = cov == CovConvention::unbiased;  // pytorch-fid has it, StyleGAN does not
      auto fr = frechet_distance(g, ref.gaussian, fo);
      json prov = wprov;
      prov["preprocessing"] = pre == FidPreprocess::pytorch_fid
                                  ? "pytorch-fid: /255, bilinear 299 (align_corners=False, no antialias), 2x-1"
                                  : "clean-fid clean: PIL bicubic float 299 per channel, clip 0..255, (x-128)/128";
      prov["dims"] = cfg.fid_dims;
      prov["covariance"] = to_string(cov);
      prov["generated_samples"] = g.n;
      prov["reference_samples"] = ref.gaussian.n;
      prov["frames_per_clip"] = cfg.fid_frames_per_clip == 0 ? std::string("all") : std::to_string(cfg.fid_frames_per_clip);
      prov["reference"] = ref.provenance;
      prov["eps_fallback_taken"] = fr.eps_fallback_taken;
      report["metrics"]["fid"] = {{"value", fr.distance},
                                  {"mean_term", fr.mean_term},
                                  {"trace_sqrt_covmean", fr.trace_sqrt_covmean},
                                  {"provenance", prov},
                                  {"warnings", fr.warnings}};
      if (!wp.warning.empty()) report["metrics"]["fid"]["warnings"].push_back(wp.warning);
      rows.push_back({"FID", fmt_value(fr.distance), prov_pairs(prov), wp.warning});
    }
    if (need_is) {
      InceptionScoreOptions io;
      io.splits = cfg.is_splits;
      io.shuffle = cfg.is_shuffle;
      auto is = inception_score(gen_run.logits, io);
      json prov = wprov;
      prov["preprocessing"] = to_string(pre);
      prov["splits"] = cfg.is_splits;
      prov["shuffle"] = cfg.is_shuffle ? "RandomState(2020).permutation (torch-fidelity)" : "none (improved-gan)";
      prov["logits"] = "pool3 @ fc.weight^T, no bias; softmax float64; population std";
      prov["samples"] = gen_run.logits.size(0);
      report["metrics"]["is"] = {{"value", is.mean}, {"std", is.std}, {"split_scores", is.split_scores}, {"provenance", prov},
                                 {"warnings", json::array()}};
      if (!wp.warning.empty()) report["metrics"]["is"]["warnings"].push_back(wp.warning);
      rows.push_back({"IS", fmt::format("{:.6f} ± {:.6f}", is.mean, is.std), prov_pairs(prov), wp.warning});
    }
  }

  // ---- FVD (I3D) ----
  if (wants(cfg, "fvd")) {
    auto net = I3dExtractor::load(cfg.i3d_weights, device, rkeys.empty() ? fs::path() : rkeys / "i3d/keys.txt");
    const auto& wp = net.provenance();
    if (!wp.warning.empty()) loud.push_back("I3D: " + wp.warning);
    auto protocol = make_fvd_protocol(cfg.fvd_protocol, cfg.fvd_frames, cfg.fvd_stride, cfg.fvd_clip_offset,
                                      static_cast<uint64_t>(cfg.fvd_seed));
    StatsMeta want{{"metric", "fvd"}, {"network", wp.network}, {"weights_sha256", wp.sha256}};
    for (const auto& [k, v] : protocol.describe()) want[k] = v;
    auto gen_run = i3d_features(net, gen, make_fvd_protocol(cfg.fvd_protocol, cfg.fvd_frames, cfg.fvd_stride, "start", 0));
    double ref_fps = 0;
    for (const auto& c : ref_clips) ref_fps = c.fps;
    auto ref = reference_side("fvd", want, [&] {
      auto run = i3d_features(net, ref_clips, protocol);
      return gaussian_from_features(run.features, protocol.covariance());
    });
    auto g = gaussian_from_features(gen_run.features, protocol.covariance());
    FrechetOptions fo;
    fo.eps_fallback = false;  // TF-GAN / StyleGAN-V have no eps fallback
    auto fr = frechet_distance(g, ref.gaussian, fo);
    json prov = wp.to_map();
    for (const auto& [k, v] : protocol.describe()) prov[k] = v;
    prov["generated_clip_offset"] = "start (fake-as-dataset convention)";
    prov["generated_samples"] = g.n;
    prov["generated_clips_skipped"] = gen_run.clips_skipped;
    prov["reference_samples"] = ref.gaussian.n;
    prov["reference"] = ref.provenance;
    if (ref_fps > 0) prov["reference_fps"] = ref_fps;
    double gen_fps = 0;
    for (const auto& c : gen) gen_fps = c.fps;
    if (gen_fps > 0) prov["generated_fps"] = gen_fps;
    report["metrics"]["fvd"] = {{"value", fr.distance},
                                {"mean_term", fr.mean_term},
                                {"trace_sqrt_covmean", fr.trace_sqrt_covmean},
                                {"provenance", prov},
                                {"warnings", fr.warnings}};
    if (!wp.warning.empty()) report["metrics"]["fvd"]["warnings"].push_back(wp.warning);
    rows.push_back({"FVD", fmt_value(fr.distance), prov_pairs(prov), wp.warning});
  }

  if (wants(cfg, "clip"))
    fail("CLIP score: this build of vdf has no CLIP model yet (framework/models/text CLIP by the encoders issue); "
         "run without 'clip' in --metrics");

  report["warnings"] = loud;
  EvalOutcome out;
  out.report = report;
  out.json_path = req.out / "report.json";
  out.html_path = req.out / "report.html";
  write_file_atomic(out.json_path, report.dump(2) + "\n");

  // ---- HTML ----
  report::HtmlReport html("vdf eval report");
  for (const auto& w : loud) html.add_warning(w);
  html.add_key_values("Run", {{"generated", report["generated"]["path"].get<std::string>()},
                              {"generated clips / frames", fmt::format("{} / {}", gen.size(), gen_frames)},
                              {"reference", refs.dump()},
                              {"vdf", std::string(VDF_VERSION) + " (git " + VDF_GIT_REVISION + ")"},
                              {"LibTorch", compat::torch_version()},
                              {"device", device.str()},
                              {"command", req.command_line}});
  html.add_metric_table("Metrics", rows);
  std::vector<std::pair<torch::Tensor, std::string>> grid;
  const size_t show = std::min<size_t>(4, gen.size());
  for (size_t i = 0; i < show; ++i) {
    for (int k = 0; k < 3; ++k) {
      const int64_t t = gen[i].frames.size(0);
      const int64_t f = k * (t - 1) / 2;
      grid.emplace_back(gen[i].frames[f], fmt::format("generated {} frame {}", gen[i].name, f));
    }
    if (i < ref_clips.size()) {
      const int64_t t = ref_clips[i].frames.size(0);
      grid.emplace_back(ref_clips[i].frames[t / 2], fmt::format("reference {} frame {}", ref_clips[i].name, t / 2));
    }
  }
  html.add_image_grid("Frames: generated (first, middle, last) next to reference (middle)", grid,
                      ref_clips.empty() ? 3 : 4);
  std::vector<std::vector<std::string>> prompt_rows;
  for (size_t i = 0; i < gen.size(); ++i)
    if (!prompts[i].empty()) prompt_rows.push_back({gen[i].name, prompts[i]});
  if (!prompt_rows.empty()) html.add_table("Prompts", {"clip", "prompt"}, prompt_rows);
  if (!req.run_dir.empty()) {
    const fs::path mj = req.run_dir / "metrics.jsonl";
    if (fs::exists(mj)) {
      auto series = read_metrics_jsonl(mj);
      for (const auto& [name, xy] : series)
        html.add_line_plot(name + " over training", {{name, xy.first, xy.second}}, "step", name);
    } else {
      VDF_WARN("run dir '{}' has no metrics.jsonl; no plots", req.run_dir.string());
    }
  }
  html.write(out.html_path);
  VDF_INFO("eval: wrote {} and {}", out.json_path.string(), out.html_path.string());
  return out;
}

}  // namespace vdf::eval
