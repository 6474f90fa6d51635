// Tiny deterministic stand-ins for the three ingest stages, so the pipeline, the shard format and resume
// can be tested in milliseconds. A fake "video" is a text file of key=value words:
//   clips=2 frames=3 h=16 w=16 sleep_ms=0 reject=too_short throw=1
#pragma once
#include <chrono>
#include <sstream>
#include <thread>

#include "data/ingest/stages.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::testing {

class FakeClipSource : public data::ClipSource {
 public:
  data::Extraction extract(const data::ManifestEntry& e) override {
    std::istringstream in(read_file(e.resolved));
    int clips = 1, frames = 3, h = 16, w = 16, sleep_ms = 0, do_throw = 0;
    std::string reject, word, seed_name = e.path;
    while (in >> word) {
      const auto eq = word.find('=');
      if (eq == std::string::npos) continue;
      const std::string k = word.substr(0, eq), v = word.substr(eq + 1);
      if (k == "clips") clips = std::stoi(v);
      else if (k == "frames") frames = std::stoi(v);
      else if (k == "h") h = std::stoi(v);
      else if (k == "w") w = std::stoi(v);
      else if (k == "sleep_ms") sleep_ms = std::stoi(v);
      else if (k == "reject") reject = v;
      else if (k == "throw") do_throw = std::stoi(v);
      else if (k == "as") seed_name = v;
    }
    if (extra_sleep_ms + sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(extra_sleep_ms + sleep_ms));
    if (do_throw) fail("fake decoder cannot read '{}'", e.path);
    data::Extraction x;
    if (!reject.empty()) {
      x.reject_reason = reject;
      x.detail = "fake rejection";
      return x;
    }
    x.accepted = true;
    const uint64_t seed = fnv1a64(seed_name);
    if (e.is_image) frames = 1, clips = 1;
    for (int c = 0; c < clips; ++c) {
      data::PixelClip clip;
      auto t = torch::arange(int64_t(frames) * h * w * 3, torch::kInt64).reshape({frames, h, w, 3});
      clip.frames = ((t * int64_t(7 + c) + int64_t(seed % 251)) % 256).to(torch::kUInt8);
      clip.start_s = c * 0.5;
      clip.end_s = c * 0.5 + frames / 8.0;
      clip.fps = 8.0;
      clip.index = c;
      x.clips.push_back(clip);
    }
    return x;
  }
  int extra_sleep_ms = 0;
};

// Signature for the duplicate filter: one FNV hash of the clip's bytes (exact duplicates only).
inline std::vector<uint64_t> fake_signature(const torch::Tensor& frames) {
  auto c = frames.contiguous();
  return {fnv1a64(std::string_view(static_cast<const char*>(c.data_ptr()), c.numel()))};
}

// Latents: 4x4 average pooling in space, channels (r, g, b, r*g).
class FakeVae : public data::LatentEncoder {
 public:
  data::VaeIdentity identity() const override {
    data::VaeIdentity v;
    v.name = name;
    v.weights_sha256 = std::string(64, 'a');
    v.latent_channels = 4;
    v.ct = 1;
    v.ch = v.cw = 4;
    v.scale = 0.5;
    return v;
  }
  data::EncodedLatents encode(const torch::Tensor& video) override {
    ++calls;
    auto p = torch::avg_pool3d(video, {1, 4, 4});
    auto rg = p.narrow(1, 0, 1) * p.narrow(1, 1, 1);
    data::EncodedLatents b;
    b.mean = torch::cat({p * 2 - 1, rg}, 1);
    b.logvar = torch::full_like(b.mean, -2.0);
    return b;
  }
  std::string name = "fake-vae";
  int calls = 0;
};

class FakeText : public data::CaptionEncoder {
 public:
  data::TextIdentity identity() const override {
    data::TextIdentity t;
    t.name = "fake-text";
    t.weights_sha256 = std::string(64, 'b');
    t.max_length = 8;
    t.dim = 4;
    t.pooled_dim = 3;
    return t;
  }
  data::CaptionBatch encode(const std::vector<std::string>& captions) override {
    const int64_t B = int64_t(captions.size());
    data::CaptionBatch b;
    b.tokens = torch::zeros({B, 8, 4});
    b.mask = torch::zeros({B, 8}, torch::kBool);
    b.pooled = torch::zeros({B, 3});
    for (int64_t i = 0; i < B; ++i) {
      const auto& c = captions[i];
      for (int64_t l = 0; l < 8 && l < int64_t(c.size()); ++l) {
        b.mask[i][l] = true;
        for (int d = 0; d < 4; ++d) b.tokens[i][l][d] = float((unsigned char)c[l]) / 128.0f - float(d);
      }
      b.pooled[i][0] = float(c.size());
    }
    return b;
  }
};

}  // namespace vdf::testing
