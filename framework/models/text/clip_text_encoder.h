// CLIP text tower as a TextEncoder: exact CLIP tokenizer + ClipModel text transformer.
#pragma once
#include <filesystem>
#include <memory>

#include "framework/models/clip/clip_model.h"
#include "framework/models/clip/tokenizer.h"
#include "framework/models/text/text_encoder.h"

namespace vdf::text {

class ClipTextEncoder : public TextEncoder {
 public:
  // weights_path empty: deterministic recipe weights (not pretrained). Visual keys in the file are ignored.
  ClipTextEncoder(const std::string& size, const std::filesystem::path& weights_path,
                  const std::filesystem::path& tokenizer_path, int64_t max_length, torch::Device device,
                  torch::Dtype dtype);

  TextEmbedding encode(const std::vector<std::string>& prompts) override;
  std::string name() const override { return name_; }
  int64_t dim() const override { return model_->config.transformer_width; }
  int64_t pooled_dim() const override { return model_->config.embed_dim; }
  int64_t max_length() const override { return max_length_; }
  std::string weights_sha256() const override { return weights_sha256_; }
  bool pretrained() const override { return pretrained_; }
  std::string tokenizer_sha256() const override { return tokenizer_->sha256(); }

  clip::ClipModel model() const { return model_; }
  const clip::ClipTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  clip::ClipModel model_{nullptr};
  std::unique_ptr<clip::ClipTokenizer> tokenizer_;
  int64_t max_length_;
  std::string name_, weights_sha256_;
  bool pretrained_ = false;
  torch::Device device_;
};

}  // namespace vdf::text
