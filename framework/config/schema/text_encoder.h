// Config section `text_encoder`: the prompt encoder used by ingest (stored embeddings) and sampling.
#pragma once
#include <string>

#include "framework/config/binding.h"
#include "framework/config/schema/dtype.h"

namespace vdf::config {

enum class TextEncoderKind { clip };  // a T5 encoder would be another kind (with its own sub-section)
VDF_CONFIG_ENUM(TextEncoderKind, {TextEncoderKind::clip, "clip"})

struct TextEncoderConfig {
  TextEncoderKind kind = TextEncoderKind::clip;
  std::string size = "b32";       // clip: b32 (ViT-B/32 text tower) | l14 (ViT-L/14) | tiny (tests/quickstart)
  // OpenAI CLIP state dict (.safetensors or a torch.save'd .pth; visual.* keys are ignored).
  // Empty = deterministic recipe weights: NOT pretrained, labelled so in every name/hash it reports.
  std::string weights_path;
  std::string tokenizer_path;     // bpe_simple_vocab_16e6.txt.gz; empty = ../shared/assets/tokenizers/
  int max_length = 77;            // tokens per prompt (CLIP: at most 77); longer prompts are truncated
  std::string device = "auto";    // auto | cpu | cuda | cuda:N
  FloatType dtype = FloatType::float32;

  template <class V>
  void visit(V& v) {
    v("kind", kind, "the encoder family (CLIP text tower)");
    v("size", size, "clip: b32 | l14 | tiny");
    v("weights_path", weights_path, "CLIP weights; empty = deterministic recipe weights (not pretrained)");
    v("tokenizer_path", tokenizer_path, "CLIP BPE merges (bpe_simple_vocab_16e6.txt.gz); empty = shared assets");
    v("max_length", max_length, "tokens per prompt (<= 77 for CLIP)");
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("dtype", dtype, "compute dtype");
  }
  void validate(const Check& c) const {
    c.require(size == "b32" || size == "l14" || size == "tiny", "size", size, "b32, l14 or tiny");
    c.require(max_length >= 2 && max_length <= 77, "max_length", max_length, "2..77 for CLIP");
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
              "auto, cpu, cuda or cuda:N");
  }
};

}  // namespace vdf::config
