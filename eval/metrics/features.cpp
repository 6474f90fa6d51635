#include "eval/metrics/features.h"

#include <random>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/core/progress.h"

namespace vdf::eval {

ImageSource images_from_tensors(const std::vector<torch::Tensor>& images) {
  ImageSource s;
  s.count = static_cast<int64_t>(images.size());
  s.get = [images](int64_t i) { return images[i]; };
  return s;
}

std::vector<int64_t> frame_indices(int64_t frames, int64_t per_clip) {
  std::vector<int64_t> out;
  if (per_clip <= 0 || per_clip >= frames) {
    for (int64_t f = 0; f < frames; ++f) out.push_back(f);
  } else {
    for (int64_t k = 0; k < per_clip; ++k) out.push_back(per_clip == 1 ? 0 : k * (frames - 1) / (per_clip - 1));
  }
  return out;
}

ImageSource frames_of_clips(const std::vector<Clip>& clips, int64_t per_clip) {
  std::vector<std::pair<size_t, int64_t>> index;
  for (size_t c = 0; c < clips.size(); ++c)
    for (int64_t f : frame_indices(clips[c].frames.size(0), per_clip)) index.emplace_back(c, f);
  ImageSource s;
  s.count = static_cast<int64_t>(index.size());
  s.get = [clips, index](int64_t i) { return clips[index[i].first].frames[index[i].second]; };
  return s;
}

InceptionRun inception_features(InceptionExtractor& net, const ImageSource& images, FidPreprocess preprocess,
                                int64_t dims, int64_t batch_size, bool want_logits) {
  VDF_CHECK(images.count > 0, "no images to compute Inception features of");
  std::vector<torch::Tensor> feats, logits;
  ProgressBar bar("inception", images.count, "img");
  for (int64_t start = 0; start < images.count; start += batch_size) {
    const int64_t end = std::min(images.count, start + batch_size);
    std::vector<torch::Tensor> batch;
    for (int64_t i = start; i < end; ++i) batch.push_back(fid_input(images.get(i).to(net.device()), preprocess));
    auto x = torch::cat(batch, 0);
    if (want_logits) {
      auto [p, l] = net.pool3_and_logits(x);
      feats.push_back(dims == 2048 ? p.cpu() : net.features(x, dims).cpu());
      logits.push_back(l.cpu());
    } else {
      feats.push_back(net.features(x, dims).cpu());
    }
    bar.advance(end - start);
  }
  bar.finish();
  InceptionRun r;
  r.features = torch::cat(feats, 0).to(torch::kFloat64);  // pytorch-fid stores float64
  if (want_logits) r.logits = torch::cat(logits, 0);
  return r;
}

FvdPreprocess FvdProtocol::preprocess() const { return name == "videogpt" ? FvdPreprocess::videogpt : FvdPreprocess::squash; }

CovConvention FvdProtocol::covariance() const { return name == "stylegan-v" ? CovConvention::biased : CovConvention::unbiased; }

std::map<std::string, std::string> FvdProtocol::describe() const {
  return {{"protocol", name},
          {"frames", std::to_string(frames)},
          {"frame_stride", std::to_string(stride)},
          {"clip_offset", offset == "random" ? "random(seed=" + std::to_string(seed) + ")" : "start"},
          {"preprocessing", name == "videogpt" ? "short side 224 bilinear + center crop, x/255-0.5"
                                               : "squash to 224x224 bilinear (align_corners=False), 2x/255-1"},
          {"covariance", to_string(covariance())}};
}

FvdProtocol make_fvd_protocol(const std::string& name, int64_t frames, int64_t stride, const std::string& offset,
                              uint64_t seed) {
  VDF_CHECK(name == "stylegan-v" || name == "tats" || name == "videogpt",
            "FVD protocol '{}': expected stylegan-v, tats or videogpt", name);
  VDF_CHECK(frames >= 10, "FVD needs at least 10 frames per clip (I3D), got {}", frames);
  VDF_CHECK(stride >= 1, "FVD frame stride must be >= 1, got {}", stride);
  VDF_CHECK(offset == "start" || offset == "random", "FVD clip offset '{}': expected start or random", offset);
  FvdProtocol p;
  p.name = name;
  p.frames = frames;
  p.stride = stride;
  p.offset = offset;
  p.seed = seed;
  return p;
}

FvdRun i3d_features(I3dExtractor& net, const std::vector<Clip>& clips, const FvdProtocol& protocol, int64_t batch_size) {
  FvdRun r;
  std::mt19937_64 rng(protocol.seed);
  const int64_t span = (protocol.frames - 1) * protocol.stride + 1;
  std::vector<torch::Tensor> feats, batch;
  auto flush = [&] {
    if (batch.empty()) return;
    auto x = torch::cat(batch, 0);
    feats.push_back((net.is_torchscript() ? net.features_raw_uint8(x) : net.features(x)).cpu());
    batch.clear();
  };
  ProgressBar bar("i3d", static_cast<int64_t>(clips.size()), "clip");
  for (const auto& c : clips) {
    const int64_t t = c.frames.size(0);
    bar.advance();
    if (t < span) {
      ++r.clips_skipped;
      VDF_WARN("FVD: clip '{}' has {} frames, fewer than the {} the protocol needs; skipped", c.name, t, span);
      continue;
    }
    int64_t off = 0;
    if (protocol.offset == "random") off = std::uniform_int_distribution<int64_t>(0, t - span)(rng);
    auto idx = torch::arange(off, off + span, protocol.stride, torch::kInt64);
    auto sel = c.frames.index_select(0, idx);
    if (net.is_torchscript()) {
      batch.push_back(sel.permute({3, 0, 1, 2}).unsqueeze(0));  // uint8 [1,3,T,H,W]
    } else {
      batch.push_back(fvd_input(sel.to(net.device()), protocol.preprocess()));
    }
    ++r.clips_used;
    if (static_cast<int64_t>(batch.size()) >= batch_size) flush();
  }
  flush();
  bar.finish();
  VDF_CHECK(!feats.empty(), "FVD: no clip is long enough ({} frames needed)", span);
  r.features = torch::cat(feats, 0).to(torch::kFloat64);
  return r;
}

}  // namespace vdf::eval
