// Feature collection for the metrics: frames → Inception features/logits (FID, IS), clips → I3D features
// (FVD) with the clip sampling of each protocol. Every function returns features and the provenance
// entries that describe how they were made.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "eval/metrics/frechet.h"
#include "eval/metrics/media.h"
#include "eval/metrics/preprocess.h"
#include "eval/networks/extractors.h"

namespace vdf::eval {

// Lazily produced uint8 [H,W,3] images.
struct ImageSource {
  int64_t count = 0;
  std::function<torch::Tensor(int64_t)> get;
};
ImageSource images_from_tensors(const std::vector<torch::Tensor>& images);
// Indices of the frames taken from a clip of `frames` frames: all (per_clip = 0 or >= frames), else
// `per_clip` evenly spaced ones k·(frames−1)/(per_clip−1), first and last included (per_clip = 1: the first).
std::vector<int64_t> frame_indices(int64_t frames, int64_t per_clip);
// Frames of clips: all frames, or `per_clip` evenly spaced frames of each clip (0 = all).
ImageSource frames_of_clips(const std::vector<Clip>& clips, int64_t per_clip);

struct InceptionRun {
  torch::Tensor features;  // [N, dims] float64
  torch::Tensor logits;    // [N, 1008] float32 (no bias) when requested
};
// pytorch-fid get_activations(): batches of `batch_size`, images resized one by one.
InceptionRun inception_features(InceptionExtractor& net, const ImageSource& images, FidPreprocess preprocess,
                                int64_t dims, int64_t batch_size, bool want_logits);

// FVD protocols (docs/metrics.md):
//   stylegan-v: k consecutive frames (stride s), squash-resize to 224, [-1,1], biased covariance
//   tats:       same input, unbiased covariance (TATS / cd-FVD, i3d_pretrained_400)
//   videogpt:   short side 224 + center crop, [-0.5,0.5], unbiased covariance
struct FvdProtocol {
  std::string name = "stylegan-v";
  int64_t frames = 16;
  int64_t stride = 1;
  std::string offset = "start";  // start | random
  uint64_t seed = 0;
  FvdPreprocess preprocess() const;
  CovConvention covariance() const;
  std::map<std::string, std::string> describe() const;
};
FvdProtocol make_fvd_protocol(const std::string& name, int64_t frames, int64_t stride, const std::string& offset,
                              uint64_t seed);

struct FvdRun {
  torch::Tensor features;  // [N, 400] float64
  int64_t clips_used = 0, clips_skipped = 0;  // skipped: shorter than (frames-1)*stride+1
};
FvdRun i3d_features(I3dExtractor& net, const std::vector<Clip>& clips, const FvdProtocol& protocol, int64_t batch_size = 4);

}  // namespace vdf::eval
