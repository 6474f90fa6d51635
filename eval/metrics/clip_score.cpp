#include "eval/metrics/clip_score.h"

#include <map>

#include "eval/metrics/features.h"
#include "framework/core/error.h"
#include "framework/core/progress.h"

namespace vdf::eval {

std::string to_string(ClipClamp c) {
  switch (c) {
    case ClipClamp::none: return "none";
    case ClipClamp::torchmetrics: return "torchmetrics";
    case ClipClamp::per_sample: return "per-sample";
  }
  return "?";
}

ClipClamp parse_clip_clamp(const std::string& name) {
  if (name == "none") return ClipClamp::none;
  if (name == "torchmetrics") return ClipClamp::torchmetrics;
  if (name == "per-sample" || name == "per_sample") return ClipClamp::per_sample;
  fail("CLIP clamp '{}': expected none, torchmetrics or per-sample", name);
}

torch::Tensor clip_pair_scores(const torch::Tensor& image_embeds, const torch::Tensor& text_embeds) {
  VDF_CHECK(image_embeds.dim() == 2 && image_embeds.sizes() == text_embeds.sizes(),
            "CLIP pair scores: image and text embeddings must both be [N, d]");
  // torchmetrics _clip_score_update: x / x.norm(p=2, dim=-1, keepdim=True); 100 * (img * txt).sum(-1)
  auto img = image_embeds.to(torch::kFloat32);
  auto txt = text_embeds.to(torch::kFloat32);
  img = img / img.norm(2, -1, true);
  txt = txt / txt.norm(2, -1, true);
  return (100 * (img * txt).sum(-1)).to(torch::kFloat64);
}

ClipScoreResult reduce_clip_scores(const std::vector<torch::Tensor>& pair_scores, ClipClamp clamp) {
  VDF_CHECK(!pair_scores.empty(), "CLIP score: no clips");
  ClipScoreResult r;
  double sum_unclamped = 0, sum = 0;
  for (const auto& s : pair_scores) {
    VDF_CHECK(s.numel() > 0, "CLIP score: a clip has no frames");
    const double mean = s.mean().item<double>();
    r.per_clip_unclamped.push_back(mean);
    r.frames.push_back(s.numel());
    double v = mean;
    if (clamp == ClipClamp::torchmetrics) v = std::max(mean, 0.0);
    if (clamp == ClipClamp::per_sample) v = s.clamp_min(0).mean().item<double>();
    r.per_clip.push_back(v);
    sum_unclamped += mean;
    sum += v;
  }
  const double n = static_cast<double>(pair_scores.size());
  r.value = clamp == ClipClamp::torchmetrics ? std::max(sum_unclamped / n, 0.0) : sum / n;
  return r;
}

ClipScoreResult clip_score(ClipExtractor& net, const std::vector<Clip>& clips, const std::vector<std::string>& prompts,
                           int64_t frames_per_clip, ClipClamp clamp, int64_t batch_size) {
  VDF_CHECK(prompts.size() == clips.size(), "CLIP score: {} prompts for {} clips", prompts.size(), clips.size());
  for (size_t i = 0; i < clips.size(); ++i)
    VDF_CHECK(!prompts[i].empty(), "CLIP score: clip '{}' has no prompt (pass --prompts)", clips[i].name);
  // Each distinct prompt is encoded once.
  std::map<std::string, int64_t> prompt_row;
  std::vector<std::string> unique;
  for (const auto& p : prompts)
    if (prompt_row.emplace(p, static_cast<int64_t>(unique.size())).second) unique.push_back(p);
  const auto text = net.text_embeds(unique);
  std::vector<torch::Tensor> scores;
  ProgressBar bar("clip", static_cast<int64_t>(clips.size()), "clip");
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto idx = frame_indices(clips[i].frames.size(0), frames_per_clip);
    const auto frames = clips[i].frames.index_select(0, torch::tensor(idx, torch::kInt64));
    std::vector<torch::Tensor> img;
    for (int64_t s = 0; s < frames.size(0); s += batch_size)
      img.push_back(net.image_embeds(frames.slice(0, s, std::min(frames.size(0), s + batch_size))));
    auto image = torch::cat(img, 0);
    scores.push_back(clip_pair_scores(image, text[prompt_row.at(prompts[i])].unsqueeze(0).expand_as(image)));
    bar.advance();
  }
  bar.finish();
  return reduce_clip_scores(scores, clamp);
}

}  // namespace vdf::eval
