// CLIP tokenizer: exact ids against ../shared/golden/clip_tokenizer (openai/CLIP SimpleTokenizer +
// clip.tokenize(truncate=True), ftfy 6.3.1), plus the intermediate stages recorded there.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/models/clip/tokenizer.h"
#include "framework/models/clip/unicode.h"
#include "tests/test_support.h"

using vdf::clip::ClipTokenizer;
using vdf::testing::has_shared;
using vdf::testing::shared;

namespace {
const char* kTokenizerBpe = "assets/tokenizers/bpe_simple_vocab_16e6.txt.gz";
const char* kTokenizerGolden = "golden/clip_tokenizer/bpe_ids.json";

const ClipTokenizer& tokenizer() {
  static ClipTokenizer tok(shared(kTokenizerBpe));
  return tok;
}
}  // namespace

TEST_CASE("clip tokenizer: ids equal the golden for every prompt", "[unit][parity][clip]") {
  if (!has_shared(kTokenizerBpe) || !has_shared(kTokenizerGolden)) {
    WARN("skipped: ../shared/" << kTokenizerBpe << " or " << kTokenizerGolden << " is absent");
    return;
  }
  const auto& tok = tokenizer();
  auto records = nlohmann::json::parse(vdf::read_file(shared(kTokenizerGolden)));
  REQUIRE(records.size() == 60);
  int cleaned_ok = 0, pre_ok = 0, ids_ok = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const std::string text = r["text"];
    INFO("prompt " << i << ": " << text);
    std::string cleaned = tok.clean(text);
    CHECK(cleaned == r["cleaned_lower"].get<std::string>());
    cleaned_ok += cleaned == r["cleaned_lower"].get<std::string>();
    auto pre = tok.pre_tokenize(r["cleaned_lower"].get<std::string>());
    CHECK(pre == r["pre_tokens"].get<std::vector<std::string>>());
    pre_ok += pre == r["pre_tokens"].get<std::vector<std::string>>();
    auto ids = tok.encode(text);
    CHECK(ids == r["bpe_ids"].get<std::vector<int64_t>>());
    ids_ok += ids == r["bpe_ids"].get<std::vector<int64_t>>();
    // the padded/truncated row
    auto row = tok.tokenize_one(text);
    std::vector<int64_t> expect{ClipTokenizer::kSot};
    for (int64_t id : r["bpe_ids"].get<std::vector<int64_t>>()) expect.push_back(id);
    expect.push_back(ClipTokenizer::kEot);
    CHECK((expect.size() > 77) == r["truncated"].get<bool>());
    if (expect.size() > 77) {
      expect.resize(77);
      expect.back() = ClipTokenizer::kEot;
    }
    expect.resize(77, 0);
    CHECK(row == expect);
  }
  CHECK(cleaned_ok == 60);
  CHECK(pre_ok == 60);
  CHECK(ids_ok == 60);
}

TEST_CASE("clip tokenizer: truncation, errors, decode round trip", "[unit][clip]") {
  if (!has_shared(kTokenizerBpe)) {
    WARN("skipped: ../shared/" << kTokenizerBpe << " is absent");
    return;
  }
  const auto& tok = tokenizer();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";
  CHECK_THROWS_AS(tok.tokenize({long_text}, 77, false), vdf::Error);
  auto t = tok.tokenize({long_text, "a dog"}, 77, true);
  REQUIRE(t.sizes() == torch::IntArrayRef({2, 77}));
  CHECK(t[0][76].item<int64_t>() == ClipTokenizer::kEot);
  CHECK(t[1][0].item<int64_t>() == ClipTokenizer::kSot);
  CHECK(t[1][3].item<int64_t>() == ClipTokenizer::kEot);
  CHECK(t[1][4].item<int64_t>() == 0);
  CHECK(tok.decode(tok.encode("A Dog, running!")) == "a dog , running ! ");
  CHECK_THROWS_AS(ClipTokenizer("/nonexistent/bpe.txt.gz"), vdf::Error);
}

TEST_CASE("clip unicode: NFC, lower, html unescape", "[unit][clip]") {
  using namespace vdf::clip;
  CHECK(utf8_encode(nfc(utf8_decode("e\xCC\x81"))) == "\xC3\xA9");                  // e + U+0301 -> é
  CHECK(utf8_encode(nfc(utf8_decode("\xE1\x84\x80\xE1\x85\xA1"))) == "\xEA\xB0\x80");  // Hangul L+V -> 가
  CHECK(utf8_encode(to_lower(utf8_decode("\xC3\x9C" "BER \xCE\xA3"))) == "\xC3\xBC" "ber \xCF\x83");
  CHECK(utf8_encode(html_unescape(utf8_decode("&amp;amp; &lt;b&gt; &#39; &#x41; &notit; &bogus;"))) ==
        "&amp; <b> ' A \xC2\xACit; &bogus;");
  CHECK(is_letter(U'\u65E5'));
  CHECK(is_number(U'\u0661'));
  CHECK(is_space(U'\u3000'));
  CHECK_FALSE(is_letter(U'1'));
}

TEST_CASE("vdf tokenize: --text and --file print ids as JSON", "[e2e][clip]") {
  if (!has_shared(kTokenizerBpe) || !has_shared("golden/clip_tokenizer/prompts.json")) {
    WARN("skipped: ../shared/" << kTokenizerBpe << " or the golden prompts are absent");
    return;
  }
  const std::string vocab = " --vocab '" + shared(kTokenizerBpe).string() + "'";
  auto r = vdf::testing::run_command(vdf::testing::vdf_exe() + " tokenize --text 'A dog, running!' --no-pad" + vocab);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.output);
  const auto& tok = tokenizer();
  CHECK(j == nlohmann::json::array({tok.tokenize_one("A dog, running!", 77, true, false)}));
  auto f = vdf::testing::run_command(vdf::testing::vdf_exe() + " tokenize --file '" +
                                     shared("golden/clip_tokenizer/prompts.json").string() + "'" + vocab);
  REQUIRE(f.exit_code == 0);
  auto rows = nlohmann::json::parse(f.output);
  auto records = nlohmann::json::parse(vdf::read_file(shared(kTokenizerGolden)));
  REQUIRE(rows.size() == 60);
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO("prompt " << i);
    CHECK(rows[i].size() == 77);
    CHECK(rows[i][0] == ClipTokenizer::kSot);
    auto bpe = records[i]["bpe_ids"].get<std::vector<int64_t>>();
    if (!bpe.empty() && bpe.size() < 75) CHECK(rows[i][1] == bpe[0]);
  }
  auto bad = vdf::testing::run_command(vdf::testing::vdf_exe() + " tokenize --file /nonexistent.json" + vocab);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("/nonexistent.json") != std::string::npos);
}
