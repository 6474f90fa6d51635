#include "framework/models/text/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/models/clip/unicode.h"

namespace vdf::text {

namespace fs = std::filesystem;

namespace {

// Rust's char::is_whitespace (Unicode White_Space), what HF's WhitespaceSplit pre-tokenizer splits on.
constexpr char32_t kSpmWhitespace[] = {0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x20,   0x85,   0xA0,   0x1680,
                                       0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
                                       0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};

std::vector<int64_t> spm_encode_ids(const sentencepiece::SentencePieceProcessor& sp, const std::string& text) {
  std::vector<int> ids;
  const auto status = sp.Encode(text, &ids);
  VDF_CHECK(status.ok(), "SentencePiece: encoding failed: {}", status.ToString());
  return {ids.begin(), ids.end()};
}

nlohmann::json spm_read_json(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("tokenizer: '{}' is not valid JSON: {}", path.string(), e.what());
  }
}

}  // namespace

fs::path SentencePieceTokenizer::resolve_model_file(const fs::path& path) {
  VDF_CHECK(!path.empty(), "tokenizer: no SentencePiece model given");
  VDF_CHECK(fs::exists(path), "tokenizer: '{}' does not exist", path.string());
  if (!fs::is_directory(path)) return path;
  for (const char* rel : {"spiece.model", "tokenizer/spiece.model"})
    if (fs::exists(path / rel)) return path / rel;
  fail("tokenizer: folder '{}' holds neither spiece.model nor tokenizer/spiece.model (a SentencePiece model "
       "is needed; a folder with only tokenizer.json is not read)",
       path.string());
}

SentencePieceTokenizer::SentencePieceTokenizer(const fs::path& path)
    : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()), model_file_(resolve_model_file(path)) {
  const auto status = sp_->Load(model_file_.string());
  VDF_CHECK(status.ok(), "tokenizer: '{}' is not a SentencePiece model: {}", model_file_.string(), status.ToString());
  sha256_ = sha256_file(model_file_);
  unk_id_ = sp_->unk_id();
  load_special_tokens(model_file_.parent_path());
  auto special = [&](const std::string& name, int64_t from_model) -> int64_t {
    if (from_model >= 0) return from_model;
    for (const auto& [text, id] : specials_)
      if (text == name) return id;
    fail("tokenizer: '{}' has no {} piece and no added token '{}'", model_file_.string(), name, name);
  };
  pad_id_ = special("<pad>", sp_->pad_id());
  eos_id_ = special("</s>", sp_->eos_id());

  // Whitespace the model's normalizer leaves in place (neither mapped to a space nor removed): HF splits
  // words there, sentencepiece would not. Found per model, as normalization rules differ between models.
  const auto joined = spm_encode_ids(*sp_, "a b"), glued = spm_encode_ids(*sp_, "ab");
  for (char32_t c : kSpmWhitespace) {
    std::string probe = "a";
    clip::utf8_append(probe, c);
    probe += "b";
    const auto ids = spm_encode_ids(*sp_, probe);
    if (ids != joined && ids != glued) kept_spaces_.push_back(c);
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::load_special_tokens(const fs::path& folder) {
  specials_.clear();
  if (fs::exists(folder / "tokenizer.json")) {
    const auto j = spm_read_json(folder / "tokenizer.json");
    if (j.contains("added_tokens") && j["added_tokens"].is_array())
      for (const auto& t : j["added_tokens"])
        if (t.value("special", false)) specials_.emplace_back(t.at("content").get<std::string>(), t.at("id").get<int64_t>());
  } else if (fs::exists(folder / "tokenizer_config.json")) {
    const auto j = spm_read_json(folder / "tokenizer_config.json");
    if (j.contains("added_tokens_decoder") && j["added_tokens_decoder"].is_object())
      for (const auto& [id, t] : j["added_tokens_decoder"].items())
        if (t.value("special", false)) specials_.emplace_back(t.at("content").get<std::string>(), std::stoll(id));
  }
  if (specials_.empty()) {
    // HF T5Tokenizer's defaults for a bare .model file: control pieces, <unk>, 100 sentinels.
    const int n = sp_->GetPieceSize();
    for (int id = 0; id < n; ++id)
      if (sp_->IsControl(id) || sp_->IsUnknown(id)) specials_.emplace_back(sp_->IdToPiece(id), id);
    for (int i = 0; i < 100; ++i) specials_.emplace_back("<extra_id_" + std::to_string(i) + ">", n + 99 - i);
  }
  // Leftmost-longest matching wants the longest candidates first.
  std::stable_sort(specials_.begin(), specials_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  specials_.erase(std::remove_if(specials_.begin(), specials_.end(), [](const auto& s) { return s.first.empty(); }),
                  specials_.end());
}

int64_t SentencePieceTokenizer::piece_count() const { return sp_->GetPieceSize(); }

void SentencePieceTokenizer::encode_segment(const std::string& segment, std::vector<int64_t>& out) const {
  if (segment.empty()) return;
  std::string text = segment;
  if (!kept_spaces_.empty()) {
    clip::U32String u = clip::utf8_decode(segment);
    for (auto& c : u)
      if (std::find(kept_spaces_.begin(), kept_spaces_.end(), c) != kept_spaces_.end()) c = U' ';
    text = clip::utf8_encode(u);
  }
  const auto ids = spm_encode_ids(*sp_, text);
  out.insert(out.end(), ids.begin(), ids.end());
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> out;
  size_t start = 0;  // first byte of the pending plain segment
  size_t i = 0;
  while (i < text.size()) {
    const std::pair<std::string, int64_t>* match = nullptr;
    for (const auto& s : specials_)
      if (text.compare(i, s.first.size(), s.first) == 0) {
        match = &s;
        break;
      }
    if (!match) {
      ++i;
      continue;
    }
    encode_segment(text.substr(start, i - start), out);
    out.push_back(match->second);
    i += match->first.size();
    start = i;
  }
  encode_segment(text.substr(start), out);
  return out;
}

std::vector<int64_t> SentencePieceTokenizer::tokenize_one(const std::string& text, int64_t max_length, bool truncate,
                                                          bool pad) const {
  VDF_CHECK(max_length >= 1, "tokenizer: max_length {} must be >= 1", max_length);
  std::vector<int64_t> ids = encode(text);
  if (static_cast<int64_t>(ids.size()) + 1 > max_length) {
    VDF_CHECK(truncate, "tokenizer: prompt has {} tokens + EOS, more than max_length {}: '{}'", ids.size(),
              max_length, text.substr(0, 200));
    ids.resize(static_cast<size_t>(max_length - 1));
  }
  ids.push_back(eos_id_);
  if (pad) ids.resize(static_cast<size_t>(max_length), pad_id_);
  return ids;
}

TokenBatch SentencePieceTokenizer::tokenize(const std::vector<std::string>& texts, int64_t max_length) const {
  const auto b = static_cast<int64_t>(texts.size());
  TokenBatch out;
  out.ids = torch::full({b, max_length}, pad_id_, torch::kInt64);
  out.mask = torch::zeros({b, max_length}, torch::kInt64);
  auto ids = out.ids.accessor<int64_t, 2>();
  auto mask = out.mask.accessor<int64_t, 2>();
  for (int64_t r = 0; r < b; ++r) {
    const auto row = tokenize_one(texts[static_cast<size_t>(r)], max_length, /*truncate=*/true, /*pad=*/false);
    for (size_t c = 0; c < row.size(); ++c) {
      ids[r][static_cast<int64_t>(c)] = row[c];
      mask[r][static_cast<int64_t>(c)] = 1;
    }
    out.lengths.push_back(static_cast<int64_t>(row.size()));
  }
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> pieces;
  for (int64_t id : ids)
    if (id >= 0 && id < sp_->GetPieceSize()) pieces.push_back(static_cast<int>(id));
  std::string out;
  const auto status = sp_->Decode(pieces, &out);
  VDF_CHECK(status.ok(), "SentencePiece: decoding failed: {}", status.ToString());
  return out;
}

}  // namespace vdf::text
