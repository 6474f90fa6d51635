// CLIP score of generated clips against their prompts (docs/metrics.md §CLIP score, ../shared/METRICS.md §3).
//
// Per (frame, prompt) pair: s = 100 · <f_img/|f_img|, f_txt/|f_txt|> in float32, exactly torchmetrics'
// `_clip_score_update` (and 100 × the video "CLIPSIM" cosine). Per clip: the mean of s over its frames
// (all, or `frames_per_clip` evenly spaced ones). Overall: the mean over clips (each clip counts once).
// Clamp conventions (eval.clip_clamp):
//   none          no clamp (Taited/clip-score, CLIPSIM).
//   torchmetrics  max(mean, 0): a clip's score is torchmetrics clip_score(frames, [prompt]*T); the overall
//                 value is max(mean over clips of the unclamped clip means, 0) — torchmetrics CLIPScore over
//                 every (frame, prompt) pair when the clips have equal frame counts.
//   per-sample    max(s, 0) per pair before averaging (the torchmetrics docstring formula).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "eval/config.h"
#include "eval/metrics/media.h"
#include "eval/networks/extractors.h"

namespace vdf::eval {

using ClipClamp = config::ClipClamp;  // eval.clip_clamp
std::string to_string(ClipClamp c);
ClipClamp parse_clip_clamp(const std::string& name);  // "none" | "torchmetrics" | "per-sample"

// 100 · cos(image_i, text_i) per row, float32 as torchmetrics computes it → float64 [N].
torch::Tensor clip_pair_scores(const torch::Tensor& image_embeds, const torch::Tensor& text_embeds);

struct ClipScoreResult {
  double value = 0;                         // the overall CLIP score
  std::vector<double> per_clip;             // with the clamp convention applied
  std::vector<double> per_clip_unclamped;   // plain mean of the pair scores
  std::vector<int64_t> frames;              // frames scored per clip
};
// Reduces per-clip pair scores (one float64 [T_c] tensor per clip) with a clamp convention.
ClipScoreResult reduce_clip_scores(const std::vector<torch::Tensor>& pair_scores, ClipClamp clamp);

// The full metric: frames of every clip against that clip's prompt (prompts[i] for clips[i]).
ClipScoreResult clip_score(ClipExtractor& net, const std::vector<Clip>& clips, const std::vector<std::string>& prompts,
                           int64_t frames_per_clip, ClipClamp clamp, int64_t batch_size);

}  // namespace vdf::eval
