// The exact OpenAI CLIP tokenizer (openai/CLIP clip/simple_tokenizer.py + clip.tokenize): text cleaning
// (a subset of ftfy.fix_text, html.unescape twice, whitespace collapse, lower-case), the CLIP regex
// pre-tokenizer, byte-level BPE over bpe_simple_vocab_16e6.txt.gz, and the 77-token context with SOT/EOT,
// zero padding and optional truncation. Token ids equal ../shared/golden/clip_tokenizer for every prompt.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace vdf::clip {

class ClipTokenizer {
 public:
  static constexpr int64_t kSot = 49406;  // <|startoftext|>
  static constexpr int64_t kEot = 49407;  // <|endoftext|>
  static constexpr int64_t kVocabSize = 49408;
  static constexpr int64_t kContextLength = 77;

  // The merges file to use when none is configured: $VDF_CLIP_BPE, else
  // models::shared_asset("assets/tokenizers/bpe_simple_vocab_16e6.txt.gz") ($VDF_SHARED_DIR, or a
  // `shared` folder beside the working directory or a parent).
  static std::filesystem::path default_bpe_path();

  // Loads the gzip merges file (throws vdf::Error naming the path when missing or malformed).
  explicit ClipTokenizer(const std::filesystem::path& bpe_path = default_bpe_path());

  // Cleaning as in simple_tokenizer: whitespace_clean(basic_clean(text)).lower().
  std::string clean(const std::string& text) const;
  // The CLIP regex matches of an already cleaned string.
  std::vector<std::string> pre_tokenize(const std::string& cleaned) const;
  // SimpleTokenizer.encode: BPE ids without SOT/EOT.
  std::vector<int64_t> encode(const std::string& text) const;
  // SimpleTokenizer.decode (for debugging and round trips).
  std::string decode(const std::vector<int64_t>& ids) const;
  // clip.tokenize: [N, context_length] int64, [SOT] + ids + [EOT], zero padded. Too long: with
  // truncate, keep context_length tokens and set the last to EOT; without, throw naming the prompt.
  torch::Tensor tokenize(const std::vector<std::string>& texts, int64_t context_length = kContextLength,
                         bool truncate = true) const;
  // One row of tokenize() as a vector (no padding when pad = false).
  std::vector<int64_t> tokenize_one(const std::string& text, int64_t context_length = kContextLength,
                                    bool truncate = true, bool pad = true) const;

  const std::filesystem::path& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }  // of the merges file

 private:
  std::vector<std::string> bpe(const std::string& token) const;

  std::filesystem::path path_;
  std::string sha256_;
  std::vector<std::string> byte_encoder_;                // byte -> UTF-8 of its unicode stand-in
  std::unordered_map<std::string, int> byte_decoder_;    // inverse
  std::unordered_map<std::string, int64_t> encoder_;     // symbol -> id
  std::vector<std::string> decoder_;                     // id -> symbol
  std::unordered_map<std::string, int> ranks_;           // "a b" -> merge rank
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::string>> cache_;
};

}  // namespace vdf::clip
