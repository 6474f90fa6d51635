#include "framework/models/text/t5_text_encoder.h"

#include <fmt/format.h>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/text/t5_loader.h"
#include "framework/models/text/t5_prompt_clean.h"

namespace vdf::text {

T5TextEncoder::T5TextEncoder(const std::string& kind, const config::T5TextEncoderConfig& config, torch::Device device,
                             torch::Dtype dtype)
    : config_(config), device_(device) {
  const std::string key = "text_encoder." + kind;
  T5Checkpoint ck = read_t5_checkpoint(config.path);
  VDF_CHECK(ck.config.model_type == kind,
            "config key '{}.path': '{}' holds a {} encoder ({}), but text_encoder.kind is {}{}", key, config.path,
            ck.config.model_type, ck.config.describe(), kind,
            kind == "t5" ? " (UMT5 has a relative position table in every layer: use kind umt5)"
                         : " (T5 shares layer 0's position table: use kind t5)");
  const std::filesystem::path tok_path = config.tokenizer_path.empty() ? ck.tokenizer_dir : std::filesystem::path(config.tokenizer_path);
  VDF_CHECK(!tok_path.empty(),
            "config key '{}.tokenizer_path' is empty and '{}' has no tokenizer/spiece.model beside it; set it to the "
            "model's spiece.model",
            key, config.path);
  tokenizer_ = std::make_unique<SentencePieceTokenizer>(tok_path);
  VDF_CHECK(tokenizer_->piece_count() <= ck.config.vocab_size,
            "config key '{}': tokenizer '{}' has {} pieces, more than the encoder's vocabulary ({})", key,
            tokenizer_->model_file().string(), tokenizer_->piece_count(), ck.config.vocab_size);

  model_ = T5Encoder(ck.config);
  model_->set_dtype(dtype);
  load_t5_weights(model_, ck);
  ck.tensors.clear();  // the file's copies are no longer needed
  model_->eval();
  model_->to(device);
  weights_sha256_ = t5_weights_sha256(ck);
  std::string conventions;
  if (config.attention_mask) conventions += "mask";
  if (config.zero_past_prompt) conventions += std::string(conventions.empty() ? "" : ", ") + "zero past prompt";
  if (config.clean_prompt) conventions += std::string(conventions.empty() ? "" : ", ") + "wan clean";
  name_ = fmt::format("{} {}x{} [{}]", kind, ck.config.num_layers, ck.config.d_model,
                      conventions.empty() ? "no mask" : conventions);
}

std::string T5TextEncoder::prepare(const std::string& prompt) const {
  return config_.clean_prompt ? wan_prompt_clean(prompt) : prompt;
}

torch::Tensor T5TextEncoder::forward_ids(const torch::Tensor& ids, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  return model_->forward(ids.to(device_), config_.attention_mask ? mask.to(device_) : torch::Tensor());
}

TextEmbedding T5TextEncoder::encode(const std::vector<std::string>& prompts) {
  VDF_CHECK(!prompts.empty(), "T5 text encoder: no prompts");
  std::vector<std::string> texts;
  for (const auto& p : prompts) texts.push_back(prepare(p));
  const TokenBatch batch = tokenizer_->tokenize(texts, config_.max_length);
  auto hidden = forward_ids(batch.ids, batch.mask).to(torch::kFloat32);
  auto mask = batch.mask.to(hidden.device()).to(torch::kBool);
  auto weight = mask.unsqueeze(-1).to(torch::kFloat32);
  TextEmbedding e;
  // Wan: prompt_embeds = [u[:len] for u ...] then zero-padded back to max_length.
  e.tokens = config_.zero_past_prompt ? hidden * weight : hidden;
  e.mask = mask;
  e.pooled = (hidden * weight).sum(1) / weight.sum(1).clamp_min(1.0);
  return e;
}

}  // namespace vdf::text
