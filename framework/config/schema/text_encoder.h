// Config section `text_encoder`: the prompt encoder used by ingest (stored embeddings) and sampling.
#pragma once
#include <string>

#include "framework/config/binding.h"
#include "framework/config/schema/dtype.h"

namespace vdf::config {

// clip : OpenAI CLIP text tower (keys at the top of the section).
// t5   : T5 v1.1 encoder (google/t5-v1_1-xxl, CogVideoX): `text_encoder.t5.*`, CogVideoX's conventions.
// umt5 : UMT5 encoder (google/umt5-xxl, Wan 2.1/2.2): `text_encoder.umt5.*`, Wan's conventions.
enum class TextEncoderKind { clip, t5, umt5 };
VDF_CONFIG_ENUM(TextEncoderKind, {TextEncoderKind::clip, "clip"}, {TextEncoderKind::t5, "t5"},
                {TextEncoderKind::umt5, "umt5"})

// The T5-family sub-section. The defaults differ per kind (T5TextEncoderConfig::cogvideox() / ::wan()):
// they are what the diffusers CogVideoX and Wan pipelines do.
struct T5TextEncoderConfig {
  // A diffusers pipeline folder (model_index.json + text_encoder/ + tokenizer/), a text_encoder/ folder
  // (config.json + model.safetensors or sharded model.safetensors.index.json), a .safetensors /
  // .index.json file, or the original Wan file models_t5_umt5-xxl-enc-bf16.pth.
  std::string path;
  std::string tokenizer_path;   // spiece.model or a folder with it; empty = the tokenizer/ folder of `path`
  int max_length = 226;         // tokens per prompt incl. EOS (CogVideoX 226, Wan 512); longer is truncated
  bool attention_mask = false;  // pass the padding mask to the encoder (Wan: true; CogVideoX: false)
  bool zero_past_prompt = false;  // output rows past the prompt's tokens (+EOS) set to 0 (Wan: true)
  bool clean_prompt = false;    // Wan's prompt_clean: html.unescape twice + whitespace collapse (no ftfy)

  static T5TextEncoderConfig cogvideox() { return {}; }
  static T5TextEncoderConfig wan() {
    T5TextEncoderConfig c;
    c.max_length = 512;
    c.attention_mask = true;
    c.zero_past_prompt = true;
    c.clean_prompt = true;
    return c;
  }

  template <class V>
  void visit(V& v) {
    v("path", path, "diffusers folder, text_encoder/ folder, .safetensors/.index.json, or Wan's original .pth");
    v("tokenizer_path", tokenizer_path, "spiece.model or its folder; empty = tokenizer/ of the diffusers folder");
    v("max_length", max_length, "tokens per prompt incl. EOS (CogVideoX 226, Wan 512)");
    v("attention_mask", attention_mask, "pass the padding mask to the encoder (Wan yes, CogVideoX no)");
    v("zero_past_prompt", zero_past_prompt, "zero the output past the prompt's tokens (Wan yes, CogVideoX no)");
    v("clean_prompt", clean_prompt, "Wan's prompt_clean: html unescape + whitespace collapse (no ftfy)");
  }
  void validate(const Check& c) const {
    c.require(!path.empty(), "path", path, "a model folder or weights file (T5/UMT5 have no built-in weights)");
    c.require(max_length >= 2, "max_length", max_length, ">= 2");
  }
};

struct TextEncoderConfig {
  TextEncoderKind kind = TextEncoderKind::clip;
  // CLIP's keys (kind clip only):
  std::string size = "b32";       // clip: b32 (ViT-B/32 text tower) | l14 (ViT-L/14) | tiny (tests/quickstart)
  // OpenAI CLIP state dict (.safetensors or a torch.save'd .pth; visual.* keys are ignored).
  // Empty = deterministic recipe weights: NOT pretrained, labelled so in every name/hash it reports.
  std::string weights_path;
  std::string tokenizer_path;     // bpe_simple_vocab_16e6.txt.gz; empty = ../shared/assets/tokenizers/
  int max_length = 77;            // tokens per prompt (CLIP: at most 77); longer prompts are truncated
  T5TextEncoderConfig t5 = T5TextEncoderConfig::cogvideox();
  T5TextEncoderConfig umt5 = T5TextEncoderConfig::wan();
  std::string device = "auto";    // auto | cpu | cuda | cuda:N
  FloatType dtype = FloatType::float32;

  template <class V>
  void visit(V& v) {
    const When clip_only{kind == TextEncoderKind::clip, "text_encoder.kind is clip", "kind"};
    v("kind", kind, "clip (CLIP text tower), t5 (T5 v1.1, CogVideoX) or umt5 (UMT5, Wan)");
    v("size", size, "clip: b32 | l14 | tiny", clip_only);
    v("weights_path", weights_path, "CLIP weights; empty = deterministic recipe weights (not pretrained)", clip_only);
    v("tokenizer_path", tokenizer_path, "CLIP BPE merges (bpe_simple_vocab_16e6.txt.gz); empty = shared assets",
      clip_only);
    v("max_length", max_length, "tokens per prompt (<= 77 for CLIP)", clip_only);
    v("t5", t5, "T5 encoder (CogVideoX conventions)", When{kind == TextEncoderKind::t5, "text_encoder.kind is t5", "kind"});
    v("umt5", umt5, "UMT5 encoder (Wan conventions)",
      When{kind == TextEncoderKind::umt5, "text_encoder.kind is umt5", "kind"});
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("dtype", dtype, "compute dtype");
  }
  void validate(const Check& c) const {
    if (kind == TextEncoderKind::clip) {
      c.require(size == "b32" || size == "l14" || size == "tiny", "size", size, "b32, l14 or tiny");
      c.require(max_length >= 2 && max_length <= 77, "max_length", max_length, "2..77 for CLIP");
    }
    if (kind == TextEncoderKind::t5) t5.validate(c.sub("t5"));
    if (kind == TextEncoderKind::umt5) umt5.validate(c.sub("umt5"));
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
              "auto, cpu, cuda or cuda:N");
  }
};

}  // namespace vdf::config
