#include "framework/models/text/clip_text_encoder.h"

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/log.h"
#include "framework/models/clip/clip_loader.h"

namespace vdf::text {

ClipTextEncoder::ClipTextEncoder(const std::string& size, const std::filesystem::path& weights_path,
                                 const std::filesystem::path& tokenizer_path, int64_t max_length,
                                 torch::Device device, torch::Dtype dtype)
    : max_length_(max_length), device_(device) {
  clip::ClipConfig cfg = clip::ClipConfig::by_name(size);
  cfg.with_vision = false;
  VDF_CHECK(max_length >= 2 && max_length <= cfg.context_length, "CLIP text encoder: max_length {} must be 2..{}",
            max_length, cfg.context_length);
  model_ = clip::ClipModel(cfg);
  if (weights_path.empty()) {
    clip::fill_clip_recipe(*model_);
    name_ = "clip-" + size + " (recipe weights, not pretrained)";
    weights_sha256_ = "recipe:clip-" + size;
    pretrained_ = false;
    VDF_WARN("text encoder: CLIP {} uses deterministic recipe weights (NOT pretrained)", size);
  } else {
    clip::load_clip_weights(*model_, weights_path);
    name_ = "clip-" + size;
    weights_sha256_ = sha256_file(weights_path);
    pretrained_ = true;
  }
  model_->eval();
  model_->to(device, dtype);
  tokenizer_ = std::make_unique<clip::ClipTokenizer>(tokenizer_path.empty() ? clip::ClipTokenizer::default_bpe_path()
                                                                            : tokenizer_path);
}

TextEmbedding ClipTextEncoder::encode(const std::vector<std::string>& prompts) {
  torch::NoGradGuard no_grad;
  VDF_CHECK(!prompts.empty(), "CLIP text encoder: no prompts");
  auto ids = tokenizer_->tokenize(prompts, max_length_, /*truncate=*/true).to(device_);
  auto out = model_->encode_text_full(ids);
  TextEmbedding e;
  e.tokens = out.hidden.to(torch::kFloat32);
  auto pos = torch::arange(max_length_, ids.options()).unsqueeze(0);
  e.mask = pos <= out.eot.unsqueeze(1);
  e.pooled = out.pooled.to(torch::kFloat32);
  return e;
}

}  // namespace vdf::text
