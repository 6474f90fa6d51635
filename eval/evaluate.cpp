#include "eval/evaluate.h"

#include <fstream>
#include <set>
#include <sstream>

#include "eval/metrics/clip_score.h"
#include "eval/metrics/features.h"
#include "eval/metrics/frechet.h"
#include "eval/metrics/inception_score.h"
#include "eval/metrics/media.h"
#include "eval/metrics/stats_cache.h"
#include "eval/report/html_report.h"
#include "framework/core/atomic_file.h"
#include "framework/core/build_info.h"
#include "framework/core/error.h"
#include "framework/core/jsonl.h"
#include "framework/core/log.h"
#include "framework/tensorboard/event_file.h"
#include "vdf/version.h"

namespace vdf::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool wants(const config::EvalConfig& c, config::Metric m) {
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

// Calls `fn(object, line_number)` for every non-blank line of a JSON-lines file. A line that is not JSON is
// an error (strict) or skipped with a warning.
void for_each_jsonl(const fs::path& path, bool strict, const std::function<void(const json&, int)>& fn) {
  for (const auto& l : read_jsonl(path, strict ? BadJsonLine::error : BadJsonLine::warn)) fn(l.value, l.line);
}

std::vector<std::string> read_prompts(const fs::path& path, const std::vector<Clip>& clips) {
  std::vector<std::string> prompts(clips.size());
  if (path.empty()) return prompts;
  if (path.extension() == ".jsonl") {
    std::map<std::string, std::string> by_name;
    for_each_jsonl(path, true, [&](const json& j, int n) {
      VDF_CHECK(j.is_object() && j.contains("prompt"), "'{}' line {}: no \"prompt\" field", path.string(), n);
      const std::string key = j.contains("video") ? j["video"].get<std::string>() : j.value("file", "");
      by_name[fs::path(key).filename().string()] = j["prompt"].get<std::string>();
    });
    for (size_t i = 0; i < clips.size(); ++i) {
      auto it = by_name.find(clips[i].name);
      VDF_CHECK(it != by_name.end(), "prompts file '{}' has no entry for clip '{}'", path.string(), clips[i].name);
      prompts[i] = it->second;
    }
    return prompts;
  }
  std::ifstream in(path);
  VDF_CHECK(in.good(), "cannot read prompts file '{}'", path.string());
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  VDF_CHECK(lines.size() == clips.size(), "prompts file '{}' has {} prompts for {} generated clips (one per line, in "
                                          "sorted clip order)", path.string(), lines.size(), clips.size());
  return lines;
}

std::string fmt_value(double v) { return fmt::format("{:.6f}", v); }

std::vector<std::pair<std::string, std::string>> prov_pairs(const json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = j.begin(); it != j.end(); ++it)
    out.emplace_back(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  return out;
}

json weights_provenance(const WeightsProvenance& wp) {
  json j = json::object();
  for (const auto& [k, v] : wp.to_map()) j[k] = v;
  return j;
}

// The reference side of a Fréchet metric: a stats file, or clips whose statistics are computed (and cached).
struct ReferenceSide {
  Gaussian gaussian;
  json provenance;
};

// Everything one evaluation accumulates: inputs, the report JSON, the HTML table rows, loud warnings.
struct Evaluation {
  const EvalRequest& req;
  const config::EvalConfig& cfg;
  torch::Device device;
  std::vector<Clip> gen, ref_clips;
  std::vector<std::string> prompts;
  std::vector<fs::path> ref_stats;
  std::string ref_fingerprint;
  json report;
  std::vector<std::string> loud;
  std::vector<report::MetricRow> rows;
  std::vector<std::vector<std::string>> clip_rows, clip_prompt_rows;  // CLIP scores per clip / prompt (HTML)

  explicit Evaluation(const EvalRequest& r) : req(r), cfg(r.config), device(resolve_device(r.config.device)) {}

  std::string recipe_keys(const std::string& network) const {
    return req.recipe_dir.empty() ? std::string() : (req.recipe_dir / network / "keys.txt").string();
  }

  void note_weights(const std::string& what, const WeightsProvenance& wp) {
    if (!wp.warning.empty()) loud.push_back(what + ": " + wp.warning);
  }

  // Records one metric in report.json and the HTML table; the weights warning goes with it.
  void add_metric(const std::string& key, const std::string& label, json entry, const std::string& shown,
                  const WeightsProvenance& wp) {
    if (!entry.contains("warnings")) entry["warnings"] = json::array();
    if (!wp.warning.empty()) entry["warnings"].push_back(wp.warning);
    rows.push_back({label, shown, prov_pairs(entry["provenance"]), wp.warning});
    report["metrics"][key] = std::move(entry);
  }

  void add_frechet(const std::string& key, const std::string& label, const FrechetResult& fr, const json& prov,
                   const WeightsProvenance& wp) {
    add_metric(key, label,
               {{"value", fr.distance},
                {"mean_term", fr.mean_term},
                {"trace_sqrt_covmean", fr.trace_sqrt_covmean},
                {"provenance", prov},
                {"warnings", fr.warnings}},
               fmt_value(fr.distance), wp);
  }

  // Reference statistics for one metric: from a stats file (validated) or computed from the clips.
  ReferenceSide reference_side(const std::string& metric, const StatsMeta& want, const std::function<Gaussian()>& compute) {
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
  }

  void inception_metrics();
  void fvd();
  void clip_scores();
  void write_html(const fs::path& path) const;
};

void Evaluation::inception_metrics() {
  auto net = InceptionExtractor::load(cfg.inception_weights, device, recipe_keys("inception_fid"));
  const auto& wp = net.provenance();
  note_weights("Inception", wp);
  const auto pre = cfg.fid_preprocess;
  const bool need_fid = wants(cfg, config::Metric::fid), need_is = wants(cfg, config::Metric::is);
  auto gen_run = inception_features(net, frames_of_clips(gen, cfg.fid_frames_per_clip), pre,
                                    need_fid ? cfg.fid_dims : 2048, cfg.batch_size, need_is);
  if (need_fid) {
    const auto cov = cfg.fid_covariance;
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
    json prov = weights_provenance(wp);
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
    add_frechet("fid", "FID", fr, prov, wp);
  }
  if (need_is) {
    InceptionScoreOptions io;
    io.splits = cfg.is_splits;
    io.shuffle = cfg.is_shuffle;
    auto is = inception_score(gen_run.logits, io);
    json prov = weights_provenance(wp);
    prov["preprocessing"] = to_string(pre);
    prov["splits"] = cfg.is_splits;
    prov["shuffle"] = cfg.is_shuffle ? "RandomState(2020).permutation (torch-fidelity)" : "none (improved-gan)";
    prov["logits"] = "pool3 @ fc.weight^T, no bias; softmax float64; population std";
    prov["samples"] = gen_run.logits.size(0);
    prov["frames_per_clip"] = cfg.fid_frames_per_clip == 0 ? std::string("all") : std::to_string(cfg.fid_frames_per_clip);
    add_metric("is", "IS", {{"value", is.mean}, {"std", is.std}, {"split_scores", is.split_scores}, {"provenance", prov}},
               fmt::format("{:.6f} ± {:.6f}", is.mean, is.std), wp);
  }
}

void Evaluation::fvd() {
  auto net = I3dExtractor::load(cfg.i3d_weights, device, recipe_keys("i3d"));
  const auto& wp = net.provenance();
  note_weights("I3D", wp);
  auto protocol = make_fvd_protocol(config::enum_name(cfg.fvd_protocol), cfg.fvd_frames, cfg.fvd_stride,
                                    config::enum_name(cfg.fvd_clip_offset),
                                    static_cast<uint64_t>(cfg.fvd_seed));
  StatsMeta want{{"metric", "fvd"}, {"network", wp.network}, {"weights_sha256", wp.sha256}};
  for (const auto& [k, v] : protocol.describe()) want[k] = v;
  auto gen_run = i3d_features(net, gen, make_fvd_protocol(config::enum_name(cfg.fvd_protocol), cfg.fvd_frames, cfg.fvd_stride, "start", 0));
  want["dims"] = std::to_string(gen_run.features.size(1));  // save_stats records it; a reused file must agree
  auto ref = reference_side("fvd", want, [&] {
    auto run = i3d_features(net, ref_clips, protocol);
    return gaussian_from_features(run.features, protocol.covariance());
  });
  auto g = gaussian_from_features(gen_run.features, protocol.covariance());
  FrechetOptions fo;
  fo.eps_fallback = false;  // TF-GAN / StyleGAN-V have no eps fallback
  auto fr = frechet_distance(g, ref.gaussian, fo);
  json prov = weights_provenance(wp);
  for (const auto& [k, v] : protocol.describe()) prov[k] = v;
  prov["generated_clip_offset"] = "start (fake-as-dataset convention)";
  prov["generated_samples"] = g.n;
  prov["generated_clips_skipped"] = gen_run.clips_skipped;
  prov["reference_samples"] = ref.gaussian.n;
  prov["reference"] = ref.provenance;
  if (!ref_clips.empty() && ref_clips.back().fps > 0) prov["reference_fps"] = ref_clips.back().fps;
  if (gen.back().fps > 0) prov["generated_fps"] = gen.back().fps;
  add_frechet("fvd", "FVD", fr, prov, wp);
}

void Evaluation::clip_scores() {
  VDF_CHECK(!req.prompts.empty(), "CLIP score needs the prompts of the generated clips: pass --prompts FILE");
  auto net = ClipExtractor::load(cfg.clip_weights, cfg.clip_model, device, recipe_keys("clip"), cfg.clip_tokenizer);
  const auto& wp = net.provenance();
  note_weights("CLIP", wp);
  const auto clamp = cfg.clip_clamp;
  auto r = clip_score(net, gen, prompts, cfg.clip_frames_per_clip, clamp, cfg.batch_size);
  json prov = weights_provenance(wp);
  prov["model"] = cfg.clip_model;
  prov["preprocessing"] = fmt::format("openai/CLIP _transform({0}): PIL bicubic short side {0}, center crop {0}, /255, "
                                      "CLIP mean/std", net.resolution());
  prov["tokenizer"] = fmt::format("openai/CLIP SimpleTokenizer, {} tokens, truncate=True ({}, sha256 {})",
                                  clip::ClipTokenizer::kContextLength, net.tokenizer().path().string(),
                                  net.tokenizer().sha256());
  prov["score"] = "100 * cos(image embedding, text embedding) per frame (float32, torchmetrics); per clip: mean over "
                  "frames; overall: mean over clips";
  prov["clamp"] = to_string(clamp);
  prov["frames_per_clip"] = cfg.clip_frames_per_clip == 0 ? std::string("all") : std::to_string(cfg.clip_frames_per_clip);
  int64_t pairs = 0;
  for (auto f : r.frames) pairs += f;
  prov["clips"] = gen.size();
  prov["frame_prompt_pairs"] = pairs;
  json per_clip = json::array();
  std::map<std::string, std::pair<double, int>> by_prompt;  // prompt -> (sum of unclamped clip scores, clips)
  std::vector<std::string> prompt_order;
  for (size_t i = 0; i < gen.size(); ++i) {
    per_clip.push_back({{"clip", gen[i].name},
                        {"prompt", prompts[i]},
                        {"score", r.per_clip[i]},
                        {"score_unclamped", r.per_clip_unclamped[i]},
                        {"frames", r.frames[i]}});
    clip_rows.push_back({gen[i].name, prompts[i], fmt_value(r.per_clip[i]), std::to_string(r.frames[i])});
    auto& bp = by_prompt[prompts[i]];
    if (bp.second == 0) prompt_order.push_back(prompts[i]);
    bp.first += clamp == ClipClamp::torchmetrics ? r.per_clip_unclamped[i] : r.per_clip[i];
    bp.second += 1;
  }
  json per_prompt = json::array();
  for (const auto& p : prompt_order) {
    const auto& [sum, n] = by_prompt.at(p);
    const double mean = sum / n;
    const double score = clamp == ClipClamp::torchmetrics ? std::max(mean, 0.0) : mean;
    per_prompt.push_back({{"prompt", p}, {"clips", n}, {"score", score}});
    clip_prompt_rows.push_back({p, std::to_string(n), fmt_value(score)});
  }
  add_metric("clip", "CLIP score",
             {{"value", r.value}, {"per_clip", per_clip}, {"per_prompt", per_prompt}, {"provenance", prov}},
             fmt_value(r.value), wp);
}

// Training-run plots from metrics.jsonl: the loss (train and validation), the learning rate, and every other
// numeric field of non-train lines (validation / evaluation metrics over checkpoints).
void add_run_plots(report::HtmlReport& html, const fs::path& run_dir) {
  const fs::path mj = run_dir / "metrics.jsonl";
  if (!fs::exists(mj)) {
    VDF_WARN("run dir '{}' has no metrics.jsonl; no plots", run_dir.string());
    html.add_paragraph("Run folder " + run_dir.string() + " has no metrics.jsonl: no training plots.");
    return;
  }
  auto series = read_metrics_jsonl(mj);
  auto take = [&](const std::string& key, const std::string& label) -> std::vector<report::Series> {
    auto it = series.find(key);
    if (it == series.end()) return {};
    report::Series s{label, it->second.first, it->second.second};
    series.erase(it);
    return {s};
  };
  auto loss = take("train/loss", "train loss");
  for (auto& s : take("val/val_loss", "validation loss")) loss.push_back(s);
  if (loss.empty()) loss = take("loss", "loss");
  if (!loss.empty()) html.add_line_plot("Training loss (" + run_dir.filename().string() + ")", loss, "step", "loss");
  auto lr = take("train/lr", "lr");
  if (lr.empty()) lr = take("lr", "lr");
  if (!lr.empty()) html.add_line_plot("Learning rate", lr, "step", "lr");
  for (const auto& [name, xy] : series) {
    if (name.rfind("train/", 0) == 0) continue;  // throughput, grad norm, ...: not evaluation results
    html.add_line_plot(name + " over checkpoints", {{name, xy.first, xy.second}}, "step", name);
  }
}

void Evaluation::write_html(const fs::path& path) const {
  report::HtmlReport html("vdf eval report");
  for (const auto& w : loud) html.add_warning(w);
  int64_t gen_frames = 0;
  for (const auto& c : gen) gen_frames += c.frames.size(0);
  html.add_key_values("Run", {{"generated", report["generated"]["path"].get<std::string>()},
                              {"generated clips / frames", fmt::format("{} / {}", gen.size(), gen_frames)},
                              {"reference", report["reference"]["paths"].dump()},
                              {"vdf", std::string(VDF_VERSION) + " (git " + VDF_GIT_REVISION + ")"},
                              {"LibTorch", build_info::libtorch()},
                              {"device", device.str()},
                              {"command", req.command_line}});
  html.add_metric_table("Metrics", rows);
  std::vector<std::pair<torch::Tensor, std::string>> grid;
  const size_t show = std::min<size_t>(4, gen.size());
  for (size_t i = 0; i < show; ++i) {
    const int64_t t = gen[i].frames.size(0);
    for (int k = 0; k < 3; ++k) {
      const int64_t f = k * (t - 1) / 2;
      grid.emplace_back(gen[i].frames[f], fmt::format("generated {} frame {}", gen[i].name, f));
    }
    if (i < ref_clips.size()) {
      const int64_t rt = ref_clips[i].frames.size(0);
      grid.emplace_back(ref_clips[i].frames[rt / 2], fmt::format("reference {} frame {}", ref_clips[i].name, rt / 2));
    }
  }
  html.add_image_grid("Frames: generated (first, middle, last) next to reference (middle)", grid,
                      ref_clips.empty() ? 3 : 4);
  if (!clip_rows.empty()) {
    html.add_table("CLIP score per clip and prompt", {"clip", "prompt", "CLIP score", "frames"}, clip_rows, "clip-scores");
    html.add_table("CLIP score per prompt (mean over its clips)", {"prompt", "clips", "CLIP score"}, clip_prompt_rows,
                   "clip-prompts");
  } else {
    std::vector<std::vector<std::string>> prompt_rows;
    for (size_t i = 0; i < gen.size(); ++i)
      if (!prompts[i].empty()) prompt_rows.push_back({gen[i].name, prompts[i]});
    if (!prompt_rows.empty()) html.add_table("Prompts", {"clip", "prompt"}, prompt_rows);
  }
  if (!req.run_dir.empty()) add_run_plots(html, req.run_dir);
  html.write(path);
}

}  // namespace

std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> read_metrics_jsonl(const fs::path& path) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> series;
  for_each_jsonl(path, false, [&](const json& j, int n) {
    if (!j.is_object()) return;
    const double x = j.contains("step") && j["step"].is_number() ? j["step"].get<double>() : n;
    const std::string prefix = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() + "/" : "";
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "step" && it.value().is_number()) {
        auto& s = series[prefix + it.key()];
        s.first.push_back(x);
        s.second.push_back(it.value().get<double>());
      }
  });
  return series;
}

namespace {
// The training step the generated clips come from: sample.json of a run's samples/step_N folder (or of
// `vdf sample`), else the last step of the run's metrics.jsonl, else 0.
int64_t eval_generated_step(const EvalRequest& req) {
  const fs::path info = req.generated / "sample.json";
  std::error_code ec;
  if (fs::exists(info, ec)) {
    const json j = json::parse(read_file(info), nullptr, false);
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer()) return j["step"].get<int64_t>();
  }
  int64_t step = 0;
  for (const auto& r : read_metrics(req.run_dir / "metrics.jsonl"))
    if (r.contains("step") && r["step"].is_number_integer()) step = std::max(step, r["step"].get<int64_t>());
  return step;
}

// Eval metrics of a run (--run-dir) as TensorBoard scalars "eval/<metric>" in <run>/tensorboard/eval/ (a
// file of its own: the trainer may be appending to the run's main file while eval runs).
void eval_to_tensorboard(const EvalRequest& req, const json& report) {
  tensorboard::Scalars scalars;
  for (auto it = report["metrics"].begin(); it != report["metrics"].end(); ++it)
    if (it.value().contains("value") && it.value()["value"].is_number())
      scalars.emplace_back("eval/" + it.key(), it.value()["value"].get<double>());
  if (scalars.empty()) return;
  const int64_t step = report["step"].get<int64_t>();
  tensorboard::put_scalars_in_order(req.run_dir / "tensorboard" / "eval", step, scalars);
  VDF_INFO("eval: {} metrics at step {} -> {}", scalars.size(), step, (req.run_dir / "tensorboard" / "eval").string());
}
}  // namespace

EvalOutcome run_eval(const EvalRequest& req) {
  req.config.validate(config::Check("eval"));
  Evaluation ev(req);
  fs::create_directories(req.out);
  VDF_INFO("eval: loading generated clips from '{}'", req.generated.string());
  ev.gen = load_clips(req.generated);
  ev.prompts = read_prompts(req.prompts, ev.gen);
  for (const auto& r : req.references) {
    if (fs::is_directory(r)) {
      auto files = list_files(r, [](const fs::path& p) { return is_clip_file(p) || is_image_file(p); });
      ev.ref_fingerprint += folder_fingerprint(r, files);
      auto clips = load_clips(r);
      ev.ref_clips.insert(ev.ref_clips.end(), clips.begin(), clips.end());
    } else {
      VDF_CHECK(fs::exists(r), "reference '{}' does not exist", r.string());
      ev.ref_stats.push_back(r);
    }
  }

  json& report = ev.report;
  report["vdf_version"] = VDF_VERSION;
  report["git_revision"] = VDF_GIT_REVISION;
  report["torch"] = build_info::libtorch();
  report["command"] = req.command_line;
  report["device"] = ev.device.str();
  int64_t gen_frames = 0;
  for (const auto& c : ev.gen) gen_frames += c.frames.size(0);
  report["generated"] = {{"path", fs::absolute(req.generated).string()}, {"clips", ev.gen.size()}, {"frames", gen_frames}};
  json refs = json::array();
  for (const auto& r : req.references) refs.push_back(fs::absolute(r).string());
  report["reference"] = {{"paths", refs}, {"clips", ev.ref_clips.size()}};
  report["metrics"] = json::object();

  const auto& cfg = req.config;
  if (wants(cfg, config::Metric::fid) || wants(cfg, config::Metric::is)) ev.inception_metrics();
  if (wants(cfg, config::Metric::fvd)) ev.fvd();
  if (wants(cfg, config::Metric::clip)) ev.clip_scores();

  report["warnings"] = ev.loud;
  if (!req.run_dir.empty()) {  // which run and step these numbers belong to (`vdf compare`, TensorBoard)
    report["run_dir"] = fs::absolute(req.run_dir).lexically_normal().string();
    report["step"] = eval_generated_step(req);
  }
  EvalOutcome out;
  out.report = report;
  out.json_path = req.out / "report.json";
  out.html_path = req.out / "report.html";
  write_file_atomic(out.json_path, report.dump(2) + "\n");
  ev.write_html(out.html_path);
  VDF_INFO("eval: wrote {} and {}", out.json_path.string(), out.html_path.string());
  if (!req.run_dir.empty()) eval_to_tensorboard(req, report);
  return out;
}

}  // namespace vdf::eval
