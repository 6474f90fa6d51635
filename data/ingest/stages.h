// The three replaceable stages of `vdf ingest`, as narrow interfaces: turning one manifest input into
// pixel clips (ClipSource: decode, normalize, filter — FFmpeg in production), pixel clips into latents
// (LatentEncoder: a VAE) and captions into embeddings (CaptionEncoder: a text encoder). The pipeline
// (data/h5/ingest_pipeline.h) only sees these, so tests run it with tiny stand-ins.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/h5/shard_format.h"
#include "data/ingest/manifest.h"

namespace vdf::data {

struct PixelClip {
  torch::Tensor frames;        // uint8 [T, H, W, 3]
  double start_s = 0, end_s = 0, fps = 0;
  int64_t index = 0;           // clip number within the input
  std::string bucket;          // bucket key; empty = "TxHxW" of frames
};

struct Extraction {
  bool accepted = false;
  std::string reject_reason;   // machine key, e.g. "too_short", "unreadable"
  std::string detail;          // a sentence for people
  std::vector<PixelClip> clips;
};

// Called concurrently from several decode threads: implementations must be thread-safe.
class ClipSource {
 public:
  virtual ~ClipSource() = default;
  virtual Extraction extract(const ManifestEntry& entry) = 0;
};

struct EncodedLatents {
  torch::Tensor mean;    // [B, C, T', H', W'] (the latents stored)
  torch::Tensor logvar;  // optional, same shape
};

// Called from one thread. `video` is float [B, 3, T, H, W] in [0, 1] on the encoder's device.
class LatentEncoder {
 public:
  virtual ~LatentEncoder() = default;
  virtual VaeIdentity identity() const = 0;
  virtual EncodedLatents encode(const torch::Tensor& video) = 0;
  virtual torch::Device device() const { return torch::kCPU; }
};

struct CaptionBatch {
  torch::Tensor tokens;  // [B, L, D]
  torch::Tensor mask;    // [B, L] bool
  torch::Tensor pooled;  // [B, Dp]
};

class CaptionEncoder {
 public:
  virtual ~CaptionEncoder() = default;
  virtual TextIdentity identity() const = 0;
  virtual CaptionBatch encode(const std::vector<std::string>& captions) = 0;
};

}  // namespace vdf::data
