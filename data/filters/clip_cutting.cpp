#include "data/filters/clip_cutting.h"

#include <fmt/format.h>

#include <algorithm>

#include "data/accept_report.h"

namespace vdf::data {

ClipCutter::ClipCutter(const config::VideoConfig& c, double fps, std::string bucket)
    : length_(c.clip_frames),
      stride_(c.clip_stride),
      scene_split_(c.scene_split),
      scene_threshold_(c.scene_threshold),
      fps_(fps),
      bucket_(std::move(bucket)) {}

std::optional<Clip> ClipCutter::push(const torch::Tensor& frame, int64_t index) {
  if (scene_split_) {
    auto small = small_luma(frame.unsqueeze(0))[0];
    if (prev_small_.defined() && (small - prev_small_).abs().mean().item<double>() > scene_threshold_) {
      window_.clear();
      pos_ = 0;
      scene_start_ = index;
      ++scenes_;
    }
    prev_small_ = small;
  }
  const int64_t L = length_, S = stride_;
  if (pos_ % S < L) window_.emplace_back(pos_, frame);
  const int64_t s = pos_ - L + 1;
  std::optional<Clip> out;
  if (s >= 0 && s % S == 0) {
    ++candidates_;
    std::vector<torch::Tensor> frames;
    for (const auto& [p, img] : window_)
      if (p >= s && p <= pos_) frames.push_back(img);
    Clip c;
    c.frames = torch::stack(frames);
    c.fps = fps_;
    c.first_frame = scene_start_ + s;
    c.start_s = c.first_frame / fps_;
    c.end_s = (c.first_frame + L) / fps_;
    c.bucket = bucket_;
    out = std::move(c);
    while (!window_.empty() && window_.front().first < s + S) window_.pop_front();
  }
  ++pos_;
  return out;
}

const char* clip_filter(Clip& c, const config::VideoConfig& cfg) {
  c.motion = motion_score(c.frames);
  const auto looks = classify_frames(c.frames, cfg.black_threshold, cfg.blank_std);
  const auto black = std::count(looks.begin(), looks.end(), FrameLook::black);
  const auto blank = std::count(looks.begin(), looks.end(), FrameLook::blank);
  const double n = std::max<double>(1, static_cast<double>(looks.size()));
  c.black_fraction = looks.empty() ? 0.0 : (black + blank) / n;
  c.blank_fraction = looks.empty() ? 0.0 : blank / n;
  if (c.black_fraction > cfg.max_black_fraction) return black >= blank ? reject::mostly_black : reject::mostly_blank;
  if (cfg.static_threshold > 0 && c.motion < cfg.static_threshold) return reject::too_static;
  return nullptr;
}

std::optional<std::pair<const char*, std::string>> decode_error_verdict(int decode_errors, int64_t packets,
                                                                        const config::VideoConfig& cfg) {
  if (decode_errors <= 0) return std::nullopt;
  const double frac = static_cast<double>(decode_errors) / std::max<int64_t>(1, packets);
  if (cfg.on_decode_error == config::DecodeErrorPolicy::reject)
    return std::make_pair(reject::decode_errors,
                          fmt::format("{} decode errors in {} packets (policy: reject on any error)", decode_errors,
                                      packets));
  if (frac > cfg.max_decode_error_fraction)
    return std::make_pair(reject::decode_errors,
                          fmt::format("{} decode errors in {} packets ({:.0f}% > {:.0f}%)", decode_errors, packets,
                                      100 * frac, 100 * cfg.max_decode_error_fraction));
  return std::nullopt;
}

void drop_duplicate_clips(std::vector<Clip>* clips, const std::vector<std::vector<uint64_t>>& signatures,
                          const std::string& path, DuplicateIndex* index, std::map<std::string, int>* clip_rejections,
                          std::string* detail) {
  std::vector<Clip> kept;
  for (size_t i = 0; i < clips->size(); ++i) {
    const auto key = fmt::format("{}#{}", path, (*clips)[i].first_frame);
    if (auto hit = index->find_or_insert(signatures.at(i), key)) {
      ++(*clip_rejections)[reject::duplicate];
      if (detail->empty()) *detail = "near-duplicate of " + *hit;
    } else {
      kept.push_back(std::move((*clips)[i]));
      kept.back().index = static_cast<int>(kept.size()) - 1;
    }
  }
  *clips = std::move(kept);
}

std::pair<const char*, std::string> all_clips_rejected(const std::map<std::string, int>& clip_rejections,
                                                       int64_t candidates, const std::string& detail) {
  std::string reason;
  int best = -1;
  for (const auto& [name, count] : clip_rejections)
    if (count > best) {
      best = count;
      reason = name;
    }
  std::string counts;
  for (const auto& [name, count] : clip_rejections)
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, name);
  const char* r = reason == reject::too_static     ? reject::too_static
                  : reason == reject::mostly_black ? reject::mostly_black
                  : reason == reject::mostly_blank ? reject::mostly_blank
                                                   : reject::duplicate;
  return {r, fmt::format("all {} clips rejected ({}){}", candidates, counts, detail.empty() ? "" : "; " + detail)};
}

}  // namespace vdf::data
