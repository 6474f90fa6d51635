// The text encoder interface: prompts -> per-token embeddings + mask + pooled embedding.
// Implementations: CLIP text tower (clip_text_encoder.h), T5 / UMT5 encoders (t5_text_encoder.h: tokens
// [B,L,D] with the SentencePiece mask; pooled = mean over the prompt's tokens). make_text_encoder
// (text_encoder.cpp) picks one by text_encoder.kind.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/schema/text_encoder.h"

namespace vdf::text {

struct TextEmbedding {
  torch::Tensor tokens;  // [B, L, D] float: per-token features (CLIP: after ln_final)
  torch::Tensor mask;    // [B, L] bool: true for real tokens (CLIP: SOT..EOT inclusive)
  torch::Tensor pooled;  // [B, Dp] float (CLIP: the EOT feature @ text_projection = encode_text)
};

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  virtual TextEmbedding encode(const std::vector<std::string>& prompts) = 0;
  virtual std::string name() const = 0;            // e.g. "clip-b32" or "clip-tiny (recipe weights, not pretrained)"
  virtual int64_t dim() const = 0;                 // D
  virtual int64_t pooled_dim() const = 0;          // Dp
  virtual int64_t max_length() const = 0;          // L (every batch is padded to exactly L)
  virtual std::string weights_sha256() const = 0;  // sha256 of the weights file, or "recipe:<name>"
  virtual bool pretrained() const = 0;
  virtual std::string tokenizer_sha256() const { return ""; }
};

// Builds the encoder of a config. Throws vdf::Error naming files and keys.
std::unique_ptr<TextEncoder> make_text_encoder(const config::TextEncoderConfig& config);

}  // namespace vdf::text
