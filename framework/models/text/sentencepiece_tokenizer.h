// SentencePiece tokenizer with the T5 conventions of Hugging Face's T5Tokenizer (the tokenizer the
// diffusers Wan and CogVideoX pipelines call): the model's pieces through Debian's libsentencepiece (the
// real library, the same .model file as Python's `sentencepiece`), then
//   * special tokens written in the text (`</s>`, `<pad>`, `<unk>`, `<extra_id_N>`) become their ids, as
//     HF's added-token matching does (sentencepiece alone would spell them out piece by piece);
//   * whitespace characters the model's normalizer keeps (U+0085 for T5) split words, as HF's
//     WhitespaceSplit pre-tokenizer does;
//   * `</s>` (EOS) appended; truncation keeps max_length - 1 pieces + EOS; padding with the pad id (0);
//     attention mask 1 for pieces + EOS.
// Ids equal HF's on every prompt of tests/models/test_spm_tokenizer.cpp; the one difference found by
// fuzzing is a combining mark directly after whitespace (docs/models.md).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace vdf::text {

// A batch of prompts as the encoder takes it.
struct TokenBatch {
  torch::Tensor ids;             // [B, L] int64, padded with the pad id
  torch::Tensor mask;            // [B, L] int64, 1 for pieces + EOS
  std::vector<int64_t> lengths;  // pieces + EOS per prompt (<= L)
};

class SentencePieceTokenizer {
 public:
  // `path`: a SentencePiece .model file, or a folder holding `spiece.model` (also `tokenizer/spiece.model`
  // of a diffusers pipeline folder). Special tokens: `added_tokens` of a `tokenizer.json` beside the
  // model when there is one, else `added_tokens_decoder` of `tokenizer_config.json`, else HF T5Tokenizer's
  // defaults (the model's control pieces, <unk>, and 100 sentinels <extra_id_0..99> at ids
  // vocab+99..vocab). Throws vdf::Error naming the path.
  explicit SentencePieceTokenizer(const std::filesystem::path& path);
  ~SentencePieceTokenizer();
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  // The .model file `path` names (a file, or spiece.model inside a folder / its tokenizer/ folder).
  static std::filesystem::path resolve_model_file(const std::filesystem::path& path);

  // Piece ids of a text, without EOS (special tokens in the text matched as described above).
  std::vector<int64_t> encode(const std::string& text) const;
  // encode + EOS; longer than max_length: truncate (keep max_length - 1 ids + EOS) or, without
  // `truncate`, throw naming the prompt; `pad`: fill up to max_length with the pad id.
  std::vector<int64_t> tokenize_one(const std::string& text, int64_t max_length, bool truncate = true,
                                    bool pad = true) const;
  // Every prompt padded to exactly max_length, truncated when longer.
  TokenBatch tokenize(const std::vector<std::string>& texts, int64_t max_length) const;
  std::string decode(const std::vector<int64_t>& ids) const;

  int64_t pad_id() const { return pad_id_; }
  int64_t eos_id() const { return eos_id_; }
  int64_t unk_id() const { return unk_id_; }
  int64_t piece_count() const;  // pieces of the .model file (without added tokens)
  const std::filesystem::path& model_file() const { return model_file_; }
  const std::string& sha256() const { return sha256_; }  // of the .model file
  const std::vector<std::pair<std::string, int64_t>>& special_tokens() const { return specials_; }

 private:
  void encode_segment(const std::string& segment, std::vector<int64_t>& out) const;
  void load_special_tokens(const std::filesystem::path& folder);

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::filesystem::path model_file_;
  std::string sha256_;
  int64_t pad_id_ = 0, eos_id_ = 1, unk_id_ = 2;
  std::vector<std::pair<std::string, int64_t>> specials_;  // longest first (leftmost-longest matching)
  std::vector<char32_t> kept_spaces_;  // whitespace the normalizer keeps; replaced by ' ' before encoding
};

}  // namespace vdf::text
