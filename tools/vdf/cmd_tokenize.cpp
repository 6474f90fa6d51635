// `vdf tokenize --text "..." | --file prompts.json`: CLIP BPE token ids as JSON, one row per prompt
// ([SOT] + ids + [EOT], zero padded to the context length unless --no-pad).
#include <nlohmann/json.hpp>

#include <iostream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/models/clip/tokenizer.h"
#include "tools/vdf/command.h"

namespace {

struct TokenizeOptions {
  std::vector<std::string> texts;
  std::string file;
  std::string vocab;
  int64_t context_length = 77;
  bool no_truncate = false;
  bool no_pad = false;
  bool verbose = false;
};

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
  vdf::clip::ClipTokenizer tok(o.vocab.empty() ? vdf::clip::ClipTokenizer::default_bpe_path()
                                               : std::filesystem::path(o.vocab));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : prompts) {
    auto ids = tok.tokenize_one(p, o.context_length, !o.no_truncate, !o.no_pad);
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
  auto* cmd = app.add_subcommand("tokenize", "Print CLIP BPE token ids of prompts as JSON");
  cmd->add_option("--text", o->texts, "prompt text (repeatable)");
  cmd->add_option("--file", o->file, "JSON file: a list of prompts, or {\"prompts\": [...]}");
  cmd->add_option("--vocab", o->vocab,
                  "bpe_simple_vocab_16e6.txt.gz (default: $VDF_CLIP_BPE or ../shared/assets/tokenizers/)");
  cmd->add_option("--context-length", o->context_length, "context length")->capture_default_str();
  cmd->add_flag("--no-truncate", o->no_truncate, "fail on prompts longer than the context instead of truncating");
  cmd->add_flag("--no-pad", o->no_pad, "do not pad rows with zeros");
  cmd->add_flag("-v,--verbose", o->verbose, "also print the cleaned text and pre-tokens");
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(tokenize, setup);
