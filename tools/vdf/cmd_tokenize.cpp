// `vdf tokenize --text "..." | --file prompts.json [--tokenizer FILE_OR_FOLDER]`: token ids as JSON, one
// row per prompt. CLIP BPE (bpe_simple_vocab_16e6.txt.gz, the default): [SOT] + ids + [EOT], zero padded to
// the context length (77). A SentencePiece model (a .model file, or a folder with spiece.model or
// tokenizer/spiece.model: T5, UMT5): ids + EOS, padded with the pad id (0) to the context length (default
// 512), as Hugging Face's T5Tokenizer; --wan-clean applies Wan's prompt_clean first.
#include <nlohmann/json.hpp>

#include <iostream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/models/clip/tokenizer.h"
#include "framework/models/text/sentencepiece_tokenizer.h"
#include "framework/models/text/t5_prompt_clean.h"
#include "tools/vdf/command.h"

namespace {

struct TokenizeOptions {
  std::vector<std::string> texts;
  std::string file;
  std::string vocab;
  int64_t context_length = 0;  // 0: the tokenizer's own (CLIP 77, SentencePiece 512)
  bool wan_clean = false;
  bool no_truncate = false;
  bool no_pad = false;
  bool verbose = false;
};

// A SentencePiece model rather than CLIP's merges: a .model file, or a folder holding spiece.model.
bool is_sentencepiece(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return false;
  if (fs::is_directory(path)) return fs::exists(fs::path(path) / "spiece.model") ||
                                     fs::exists(fs::path(path) / "tokenizer" / "spiece.model");
  return fs::path(path).extension() == ".model";
}

nlohmann::json run_sentencepiece(const TokenizeOptions& o, const std::vector<std::string>& prompts) {
  vdf::text::SentencePieceTokenizer tok(o.vocab);
  const int64_t length = o.context_length > 0 ? o.context_length : 512;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : prompts) {
    const std::string text = o.wan_clean ? vdf::text::wan_prompt_clean(p) : p;
    auto ids = tok.tokenize_one(text, length, !o.no_truncate, !o.no_pad);
    if (o.verbose) {
      nlohmann::json r;
      r["text"] = p;
      r["cleaned"] = text;
      r["ids"] = ids;
      out.push_back(r);
    } else {
      out.push_back(ids);
    }
  }
  return out;
}

void run(const TokenizeOptions& o) {
  std::vector<std::string> prompts = o.texts;
  if (!o.file.empty()) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(vdf::read_file(o.file));
    } catch (const nlohmann::json::exception& e) {
      vdf::fail("tokenize: '{}' is not valid JSON: {}", o.file, e.what());
    }
    if (j.is_object() && j.contains("prompts")) j = j["prompts"];
    VDF_CHECK(j.is_array(), "tokenize: '{}' must hold a JSON list of strings (or {{\"prompts\": [...]}})", o.file);
    for (size_t i = 0; i < j.size(); ++i) {
      if (j[i].is_string()) prompts.push_back(j[i].get<std::string>());
      else if (j[i].is_object() && j[i].contains("text") && j[i]["text"].is_string())
        prompts.push_back(j[i]["text"].get<std::string>());
      else vdf::fail("tokenize: '{}' entry {} is not a string", o.file, i);
    }
  }
  VDF_CHECK(!prompts.empty(), "tokenize: give --text or --file");
  if (is_sentencepiece(o.vocab)) {
    const nlohmann::json out = run_sentencepiece(o, prompts);
    std::cout << (o.verbose ? out.dump(2) : out.dump()) << "\n";
    return;
  }
  VDF_CHECK(!o.wan_clean, "tokenize: --wan-clean applies to SentencePiece tokenizers (T5/UMT5) only");
  const int64_t context_length = o.context_length > 0 ? o.context_length : vdf::clip::ClipTokenizer::kContextLength;
  vdf::clip::ClipTokenizer tok(o.vocab.empty() ? vdf::clip::ClipTokenizer::default_bpe_path()
                                               : std::filesystem::path(o.vocab));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : prompts) {
    auto ids = tok.tokenize_one(p, context_length, !o.no_truncate, !o.no_pad);
    if (o.verbose) {
      nlohmann::json r;
      r["text"] = p;
      r["cleaned"] = tok.clean(p);
      r["pre_tokens"] = tok.pre_tokenize(tok.clean(p));
      r["ids"] = ids;
      out.push_back(r);
    } else {
      out.push_back(ids);
    }
  }
  std::cout << (o.verbose ? out.dump(2) : out.dump()) << "\n";
}

void setup(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Print token ids of prompts as JSON (CLIP BPE or SentencePiece)");
  cmd->add_option("--text", o->texts, "prompt text (repeatable)");
  cmd->add_option("--file", o->file, "JSON file: a list of prompts, or {\"prompts\": [...]}");
  cmd->add_option("--tokenizer,--vocab", o->vocab,
                  "CLIP bpe_simple_vocab_16e6.txt.gz (default: $VDF_CLIP_BPE or ../shared/assets/tokenizers/), or a "
                  "SentencePiece .model / a folder with spiece.model or tokenizer/spiece.model (T5, UMT5)");
  cmd->add_option("--context-length,--max-length", o->context_length,
                  "tokens per row incl. special tokens (default: CLIP 77, SentencePiece 512)");
  cmd->add_flag("--wan-clean", o->wan_clean, "SentencePiece: apply Wan's prompt_clean (html unescape, whitespace)");
  cmd->add_flag("--no-truncate", o->no_truncate, "fail on prompts longer than the context instead of truncating");
  cmd->add_flag("--no-pad", o->no_pad, "do not pad rows with zeros");
  cmd->add_flag("-v,--verbose", o->verbose, "also print the cleaned text and pre-tokens");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(tokenize, setup);
