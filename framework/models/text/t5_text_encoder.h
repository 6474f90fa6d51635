// T5 / UMT5 encoder as a TextEncoder: prompt cleaning (optional, Wan's), the SentencePiece tokenizer with
// T5's conventions, the encoder with or without the padding mask, and the output optionally zeroed past
// the prompt's tokens. Defaults follow the diffusers pipelines: kind t5 = CogVideoX (226 tokens, no mask
// passed, no zeroing, no cleaning), kind umt5 = Wan (512 tokens, mask, zeroed, prompt_clean).
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "framework/config/schema/text_encoder.h"
#include "framework/models/text/sentencepiece_tokenizer.h"
#include "framework/models/text/t5_model.h"
#include "framework/models/text/text_encoder.h"

namespace vdf::text {

class T5TextEncoder : public TextEncoder {
 public:
  // kind: "t5" or "umt5", which must match the checkpoint's architecture (a per-layer position bias is
  // UMT5's). Throws vdf::Error naming the files and config keys.
  T5TextEncoder(const std::string& kind, const config::T5TextEncoderConfig& config, torch::Device device,
                torch::Dtype dtype);

  // tokens [B, L, D] float32; mask [B, L] bool (prompt pieces + EOS); pooled [B, D] = the mean of the
  // returned token features over the mask (T5 has no pooled output of its own).
  TextEmbedding encode(const std::vector<std::string>& prompts) override;
  // The encoder's raw output (final layer norm, module dtype) for tokenized input: the parity tests' hook.
  torch::Tensor forward_ids(const torch::Tensor& ids, const torch::Tensor& mask);

  std::string name() const override { return name_; }
  int64_t dim() const override { return model_->config().d_model; }
  int64_t pooled_dim() const override { return model_->config().d_model; }
  int64_t max_length() const override { return config_.max_length; }
  std::string weights_sha256() const override { return weights_sha256_; }
  bool pretrained() const override { return true; }
  std::string tokenizer_sha256() const override { return tokenizer_->sha256(); }

  const SentencePieceTokenizer& tokenizer() const { return *tokenizer_; }
  T5Encoder model() const { return model_; }
  // What the encoder sees of a prompt: cleaned when clean_prompt is set.
  std::string prepare(const std::string& prompt) const;

 private:
  config::T5TextEncoderConfig config_;
  T5Encoder model_{nullptr};
  std::unique_ptr<SentencePieceTokenizer> tokenizer_;
  std::string name_, weights_sha256_;
  torch::Device device_;
};

}  // namespace vdf::text
