// SentencePiece tokenizer (framework/models/text/sentencepiece_tokenizer.h) against the live references:
// transformers' T5Tokenizer (what the diffusers pipelines call) and the Python `sentencepiece` binding,
// on the real T5 vocabulary (../shared/assets/tokenizers/t5_spiece.model) and on a model trained here
// with Debian's spm_train (the code path of UMT5's vocabulary, which is not available here).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/models/text/sentencepiece_tokenizer.h"
#include "tests/test_support.h"

using namespace vdf;
using vdf::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kT5Spiece = "assets/tokenizers/t5_spiece.model";

bool spm_have_python() {
  return vdf::testing::require_or_skip(fs::exists(vdf::testing::python()), "the reference Python is absent");
}

// Prompts covering what bites tokenizers: unicode (accents, CJK, emoji, full-width, ligatures), whitespace
// runs and kinds, punctuation, special-token strings written in the text, and prompts over max_length.
std::vector<std::string> spm_prompts() {
  std::string long_prompt;
  for (int i = 0; i < 40; ++i) long_prompt += fmt::format("a slow pan over lake number {} at sunrise, ", i);
  return {"A red circle moving left.",
          "Hello world",
          "The quick brown fox jumps over the lazy dog",
          "  leading,   trailing and  double  spaces  ",
          "Ünïcödé café naïve — “quotes” … ½ ² ﬁ ①",
          "日本語のテキストと中文字符",
          "emoji 🎉🐱 and ＦＵＬＬ width １２３",
          "tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic",
          "next line\u0085NEL and zero\u200bwidth",
          "num 1,234.56 % $ & <> {braces} [x] (y) #tag @user ~ ^ |",
          "don't stop—ever!!! ... ?? ;:",
          "</s> inside, <pad> here, <unk> there and <extra_id_0> sentinel <extra_id_99>",
          "<extra_id_100> is not a sentinel",
          "",
          "   ",
          long_prompt};
}

// One Python run: for every prompt, HF T5Tokenizer ids + mask at two max lengths and sp.encode ids.
nlohmann::json spm_reference(const TempDir& tmp, const fs::path& tokenizer_dir, const std::vector<std::string>& prompts) {
  write_file_atomic(tmp / "prompts.json", nlohmann::json(prompts).dump());
  write_file_atomic(tmp / "ref.py", R"(import json, sys
import sentencepiece as spm
from transformers import T5Tokenizer
folder, prompts_file, out = sys.argv[1:4]
prompts = json.load(open(prompts_file))
tok = T5Tokenizer.from_pretrained(folder)
sp = spm.SentencePieceProcessor(model_file=folder + '/spiece.model')
res = []
for p in prompts:
    r = {'sp': sp.encode(p)}
    for n in (16, 226):
        t = tok(p, padding='max_length', max_length=n, truncation=True, add_special_tokens=True, return_attention_mask=True)
        r[f'hf{n}'] = t.input_ids
        r[f'mask{n}'] = t.attention_mask
    res.append(r)
json.dump(res, open(out, 'w'))
)");
  auto r = vdf::testing::run_command(fmt::format("{} {} {} {} {}", vdf::testing::python(), (tmp / "ref.py").string(),
                                                 tokenizer_dir.string(), (tmp / "prompts.json").string(),
                                                 (tmp / "ref.json").string()));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(read_file(tmp / "ref.json"));
}

// Every prompt: ids + mask equal HF's at both lengths; equal sp.encode where HF and sentencepiece agree
// (they differ on special-token strings and U+0085, where vdf follows HF). Returns prompts checked.
void spm_check_against(const text::SentencePieceTokenizer& tok, const std::vector<std::string>& prompts,
                       const nlohmann::json& ref) {
  REQUIRE(ref.size() == prompts.size());
  int agree_sp = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    INFO("prompt " << i << ": '" << prompts[i] << "'");
    for (int n : {16, 226}) {
      const auto hf = ref[i][fmt::format("hf{}", n)].get<std::vector<int64_t>>();
      CHECK(tok.tokenize_one(prompts[i], n) == hf);
      const auto batch = tok.tokenize({prompts[i], "x"}, n);
      CHECK(std::vector<int64_t>(batch.ids[0].data_ptr<int64_t>(), batch.ids[0].data_ptr<int64_t>() + n) == hf);
      const auto mask = ref[i][fmt::format("mask{}", n)].get<std::vector<int64_t>>();
      CHECK(std::vector<int64_t>(batch.mask[0].data_ptr<int64_t>(), batch.mask[0].data_ptr<int64_t>() + n) == mask);
      CHECK(batch.lengths[0] == std::count(mask.begin(), mask.end(), 1));
    }
    auto sp = ref[i]["sp"].get<std::vector<int64_t>>();
    auto hf_full = tok.encode(prompts[i]);
    if (prompts[i].find('<') == std::string::npos && prompts[i].find("\u0085") == std::string::npos) {
      CHECK(hf_full == sp);
      ++agree_sp;
    }
  }
  CHECK(agree_sp >= 10);  // most prompts are compared with the binding too
}

}  // namespace

TEST_CASE("SentencePiece: T5 vocabulary ids equal transformers' T5Tokenizer and the sentencepiece binding",
          "[spm][parity]") {
  if (!vdf::testing::require_shared({kT5Spiece}) || !spm_have_python()) return;
  TempDir tmp("vdf-spm");
  fs::create_directories(tmp / "tokenizer");
  fs::copy_file(vdf::testing::shared(kT5Spiece), tmp / "tokenizer/spiece.model");
  // A bare spiece.model (HF T5Tokenizer defaults: 100 sentinels) and, via the folder above it, the same.
  text::SentencePieceTokenizer tok(tmp / "tokenizer");
  CHECK(tok.piece_count() == 32000);
  CHECK(tok.pad_id() == 0);
  CHECK(tok.eos_id() == 1);
  CHECK(tok.unk_id() == 2);
  CHECK(tok.model_file() == tmp / "tokenizer/spiece.model");
  CHECK(text::SentencePieceTokenizer::resolve_model_file(tmp.path()) == tmp / "tokenizer/spiece.model");
  // The ids of ../shared/assets/README.md (Debian's python3-sentencepiece 0.1.97).
  CHECK(tok.encode("A red circle moving left.") == std::vector<int64_t>{71, 1131, 8196, 1735, 646, 5});
  CHECK(tok.encode("The quick brown fox jumps over the lazy dog") ==
        std::vector<int64_t>{37, 1704, 4216, 3, 20400, 4418, 7, 147, 8, 19743, 1782});
  CHECK(tok.tokenize_one("Hello world", 5) == std::vector<int64_t>{8774, 296, 1, 0, 0});
  CHECK(tok.decode(tok.encode("Hello world")) == "Hello world");
  CHECK_THROWS_WITH(tok.tokenize_one("Hello world again", 3, /*truncate=*/false), Catch::Contains("max_length 3"));

  const auto prompts = spm_prompts();
  const auto ref = spm_reference(tmp, tmp / "tokenizer", prompts);
  spm_check_against(tok, prompts, ref);

  // `vdf tokenize` prints the same rows for a SentencePiece folder.
  auto cli = vdf::testing::run_command(fmt::format("{} tokenize --tokenizer {} --file {} --max-length 226",
                                                   vdf::testing::vdf_exe(), tmp.path().string(),
                                                   (tmp / "prompts.json").string()));
  INFO(cli.output);
  REQUIRE(cli.exit_code == 0);
  const auto rows = nlohmann::json::parse(cli.output.substr(cli.output.find('[')));
  REQUIRE(rows.size() == prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) CHECK(rows[i] == ref[i]["hf226"]);
  // A missing model names the path.
  CHECK_THROWS_WITH(text::SentencePieceTokenizer(tmp / "nothing_here"), Catch::Contains("nothing_here"));
}

TEST_CASE("SentencePiece: a model trained here with spm_train equals the sentencepiece binding and transformers",
          "[spm][parity]") {
  if (!vdf::testing::require_or_skip(fs::exists("/usr/bin/spm_train"),
                                     "spm_train (Debian package sentencepiece) is not installed") ||
      !spm_have_python())
    return;
  TempDir tmp("vdf-spm-train");
  // A small multilingual corpus, as UMT5's vocabulary is multilingual.
  const std::vector<std::string> words = {
      "the",    "video",  "shows",  "a",      "cat",     "running", "across", "green",  "field", "slow",
      "motion", "camera", "pans",   "left",   "über",    "Straße",  "schön",  "café",   "niño",  "año",
      "кошка",  "бежит",  "по",     "полю",   "猫",      "在",      "草地上", "奔跑",   "カメラ", "ゆっくり",
      "قطة",    "تجري",   "🎉",     "🐱",     "１２３",  "—",       "“ok”",   "it's",   "3.5",   "100%"};
  std::string corpus;
  uint64_t state = 12345;
  for (int line = 0; line < 3000; ++line) {
    const int n = 3 + line % 11;
    for (int w = 0; w < n; ++w) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      corpus += words[(state >> 33) % words.size()] + (w + 1 < n ? " " : "\n");
    }
  }
  write_file_atomic(tmp / "corpus.txt", corpus);
  fs::create_directories(tmp / "tok");
  // T5's special-id layout: pad 0, eos 1, unk 2, no bos.
  auto train = vdf::testing::run_command(fmt::format(
      "/usr/bin/spm_train --input={} --model_prefix={} --vocab_size=300 --model_type=unigram --character_coverage=1.0 "
      "--pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --pad_piece='<pad>' --eos_piece='</s>' --unk_piece='<unk>' "
      "--num_threads=1 --hard_vocab_limit=false",
      (tmp / "corpus.txt").string(), (tmp / "tok/spiece").string()));
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  REQUIRE(fs::exists(tmp / "tok/spiece.model"));

  text::SentencePieceTokenizer tok(tmp / "tok/spiece.model");
  CHECK(tok.piece_count() <= 300);
  CHECK(tok.pad_id() == 0);
  CHECK(tok.eos_id() == 1);
  auto prompts = spm_prompts();
  for (const char* p : {"über die Straße läuft eine schöne Katze", "кошка бежит по полю", "猫在草地上奔跑 🎉",
                        "قطة تجري", "camera pans left — “ok” 100% 3.5", "unseen letters: xyz QWERTY ĳ ǅ"})
    prompts.push_back(p);
  const auto ref = spm_reference(tmp, tmp / "tok", prompts);
  spm_check_against(tok, prompts, ref);
}
