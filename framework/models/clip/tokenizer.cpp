#include "framework/models/clip/tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/models/asset_path.h"
#include "framework/models/clip/unicode.h"

namespace vdf::clip {

namespace fs = std::filesystem;

namespace {
constexpr const char* kBpeRel = "assets/tokenizers/bpe_simple_vocab_16e6.txt.gz";

std::string read_gzip(const fs::path& path) {
  gzFile f = gzopen(path.string().c_str(), "rb");
  if (!f) fail("CLIP tokenizer: cannot open BPE merges file '{}'", path.string());
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, n);
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string m = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) fail("CLIP tokenizer: cannot decompress '{}': {}", path.string(), m);
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) {
      out.push_back(s.substr(pos));
      break;
    }
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// Python str.strip() with str.isspace()
U32String strip(const U32String& t) {
  size_t a = 0, b = t.size();
  while (a < b && is_space(t[a])) ++a;
  while (b > a && is_space(t[b - 1])) --b;
  return t.substr(a, b - a);
}

bool starts_with(const U32String& t, size_t i, const char32_t* lit) {
  for (size_t k = 0; lit[k]; ++k)
    if (i + k >= t.size() || t[i + k] != lit[k]) return false;
  return true;
}
}  // namespace

fs::path ClipTokenizer::default_bpe_path() {
  if (const char* p = std::getenv("VDF_CLIP_BPE"); p && *p) return p;
  return models::shared_asset(kBpeRel);
}

ClipTokenizer::ClipTokenizer(const fs::path& bpe_path) : path_(bpe_path) {
  std::string text = read_gzip(bpe_path);
  sha256_ = sha256_file(bpe_path);
  // bytes_to_unicode(): printable bytes map to themselves, the rest to 256 + n, in this order.
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + n++);
    }
  }
  byte_encoder_.assign(256, "");
  std::vector<std::string> vocab;
  for (size_t i = 0; i < bs.size(); ++i) {
    std::string u;
    utf8_append(u, static_cast<char32_t>(cs[i]));
    byte_encoder_[bs[i]] = u;
    byte_decoder_[u] = bs[i];
    vocab.push_back(u);
  }
  for (size_t i = 0; i < bs.size(); ++i) vocab.push_back(vocab[i] + "</w>");
  std::vector<std::string> lines = split_lines(text);
  const size_t n_merges = 49152 - 256 - 2;  // lines[1 : 49152-256-2+1]
  VDF_CHECK(lines.size() > n_merges, "CLIP tokenizer: '{}' has {} lines, expected at least {}", bpe_path.string(),
            lines.size(), n_merges + 1);
  for (size_t i = 1; i <= n_merges; ++i) {
    const std::string& line = lines[i];
    size_t sp = line.find(' ');
    VDF_CHECK(sp != std::string::npos && line.find(' ', sp + 1) == std::string::npos,
              "CLIP tokenizer: '{}' line {} is not a merge 'a b': '{}'", bpe_path.string(), i + 1, line);
    ranks_[line] = static_cast<int>(i - 1);
    vocab.push_back(line.substr(0, sp) + line.substr(sp + 1));
  }
  vocab.push_back("<|startoftext|>");
  vocab.push_back("<|endoftext|>");
  VDF_CHECK(static_cast<int64_t>(vocab.size()) == kVocabSize, "CLIP tokenizer: vocabulary has {} entries, expected {}",
            vocab.size(), kVocabSize);
  decoder_ = vocab;
  for (size_t i = 0; i < vocab.size(); ++i) encoder_[vocab[i]] = static_cast<int64_t>(i);
  cache_["<|startoftext|>"] = {"<|startoftext|>"};
  cache_["<|endoftext|>"] = {"<|endoftext|>"};
}

std::string ClipTokenizer::clean(const std::string& text) const {
  U32String t = ftfy_fix_text(utf8_decode(text));
  t = strip(html_unescape(html_unescape(t)));
  // whitespace_clean: re.sub(r'\s+', ' ', text).strip()
  U32String w;
  bool in_space = false;
  for (char32_t c : t) {
    if (is_space(c)) {
      if (!in_space) w.push_back(' ');
      in_space = true;
    } else {
      w.push_back(c);
      in_space = false;
    }
  }
  return utf8_encode(to_lower(strip(w)));
}

std::vector<std::string> ClipTokenizer::pre_tokenize(const std::string& cleaned) const {
  // <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+  (IGNORECASE)
  U32String t = utf8_decode(cleaned);
  std::vector<std::string> out;
  size_t i = 0;
  auto lower_ascii = [](char32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; };
  while (i < t.size()) {
    char32_t c = t[i];
    if (starts_with(t, i, U"<|startoftext|>")) {
      out.push_back("<|startoftext|>");
      i += 15;
      continue;
    }
    if (starts_with(t, i, U"<|endoftext|>")) {
      out.push_back("<|endoftext|>");
      i += 13;
      continue;
    }
    if (c == '\'' && i + 1 < t.size()) {
      char32_t a = lower_ascii(t[i + 1]);
      char32_t b = i + 2 < t.size() ? lower_ascii(t[i + 2]) : 0;
      size_t len = 0;
      if (a == 's' || a == 't' || a == 'm' || a == 'd') len = 2;
      else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) len = 3;
      if (len) {
        out.push_back(utf8_encode(t.substr(i, len)));
        i += len;
        continue;
      }
    }
    if (is_letter(c)) {
      size_t j = i;
      while (j < t.size() && is_letter(t[j])) ++j;
      out.push_back(utf8_encode(t.substr(i, j - i)));
      i = j;
      continue;
    }
    if (is_number(c)) {
      out.push_back(utf8_encode(t.substr(i, 1)));
      ++i;
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < t.size() && !is_space(t[j]) && !is_letter(t[j]) && !is_number(t[j])) ++j;
    out.push_back(utf8_encode(t.substr(i, j - i)));
    i = j;
  }
  return out;
}

std::vector<std::string> ClipTokenizer::bpe(const std::string& token) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(token);
    if (it != cache_.end()) return it->second;
  }
  // token is the byte-mapped string; split into its code points (each a UTF-8 string)
  U32String cps = utf8_decode(token);
  std::vector<std::string> word;
  for (char32_t c : cps) {
    std::string s;
    utf8_append(s, c);
    word.push_back(s);
  }
  word.back() += "</w>";
  while (word.size() > 1) {
    int best = INT_MAX;
    size_t best_i = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = ranks_.find(word[i] + " " + word[i + 1]);
      if (it != ranks_.end() && it->second < best) {
        best = it->second;
        best_i = i;
      }
    }
    if (best == INT_MAX) break;
    const std::string first = word[best_i], second = word[best_i + 1];
    std::vector<std::string> merged;
    size_t i = 0;
    while (i < word.size()) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i]);
        ++i;
      }
    }
    word.swap(merged);
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() < 100000) cache_[token] = word;
  return word;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const std::string& piece : pre_tokenize(clean(text))) {
    std::string mapped;
    if (piece == "<|startoftext|>" || piece == "<|endoftext|>") {
      mapped = piece;
    } else {
      for (unsigned char b : piece) mapped += byte_encoder_[b];
    }
    for (const std::string& sym : bpe(mapped)) {
      auto it = encoder_.find(sym);
      VDF_CHECK(it != encoder_.end(), "CLIP tokenizer: symbol '{}' is not in the vocabulary", sym);
      ids.push_back(it->second);
    }
  }
  return ids;
}

std::string ClipTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string joined;
  for (int64_t id : ids) {
    VDF_CHECK(id >= 0 && id < kVocabSize, "CLIP tokenizer: token id {} out of range [0, {})", id, kVocabSize);
    joined += decoder_[id];
  }
  // map stand-in characters back to bytes; "</w>" becomes a space
  std::string out;
  U32String cps = utf8_decode(joined);
  for (size_t i = 0; i < cps.size(); ++i) {
    if (starts_with(cps, i, U"</w>")) {
      out.push_back(' ');
      i += 3;
      continue;
    }
    std::string s;
    utf8_append(s, cps[i]);
    auto it = byte_decoder_.find(s);
    if (it != byte_decoder_.end()) out.push_back(static_cast<char>(it->second));
    else out += s;
  }
  return out;
}

std::vector<int64_t> ClipTokenizer::tokenize_one(const std::string& text, int64_t context_length, bool truncate,
                                                 bool pad) const {
  VDF_CHECK(context_length >= 2, "CLIP tokenizer: context length {} must be at least 2", context_length);
  std::vector<int64_t> ids{kSot};
  for (int64_t id : encode(text)) ids.push_back(id);
  ids.push_back(kEot);
  if (static_cast<int64_t>(ids.size()) > context_length) {
    if (!truncate)
      fail("CLIP tokenizer: input '{}' is too long for context length {} ({} tokens)", text.substr(0, 60),
           context_length, ids.size());
    ids.resize(context_length);
    ids.back() = kEot;
  }
  if (pad) ids.resize(context_length, 0);
  return ids;
}

torch::Tensor ClipTokenizer::tokenize(const std::vector<std::string>& texts, int64_t context_length,
                                      bool truncate) const {
  auto out = torch::zeros({static_cast<int64_t>(texts.size()), context_length}, torch::kInt64);
  auto acc = out.accessor<int64_t, 2>();
  for (size_t i = 0; i < texts.size(); ++i) {
    auto row = tokenize_one(texts[i], context_length, truncate, true);
    for (int64_t j = 0; j < context_length; ++j) acc[i][j] = row[j];
  }
  return out;
}

}  // namespace vdf::clip
