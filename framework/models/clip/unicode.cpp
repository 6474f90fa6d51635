#include "framework/models/clip/unicode.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vdf::clip {

using namespace unicode_data;

// ---- UTF-8 --------------------------------------------------------------------------------------
U32String utf8_decode(std::string_view s) {
  U32String out;
  out.reserve(s.size());
  size_t i = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned c = b[i];
    int n = 0;
    char32_t cp = 0, min = 0;
    if (c < 0x80) { out.push_back(c); ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
    else { out.push_back(0xFFFD); ++i; continue; }
    bool ok = true;
    int k = 1;
    for (; ok && k <= n; ++k) {
      if (i + k >= s.size() || (b[i + k] & 0xC0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (b[i + k] & 0x3F);
    }
    if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.push_back(0xFFFD);
      i += k;  // one U+FFFD per maximal invalid prefix
      continue;
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(const U32String& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) utf8_append(out, cp);
  return out;
}

// ---- classes ------------------------------------------------------------------------------------
namespace {
bool in_ranges(const CodeRange* r, size_t n, char32_t cp) {
  const CodeRange* end = r + n;
  const CodeRange* it =
      std::upper_bound(r, end, static_cast<uint32_t>(cp), [](uint32_t v, const CodeRange& x) { return v < x.first; });
  if (it == r) return false;
  --it;
  return cp >= it->first && cp <= it->last;
}

// flat "cp, n, v..." tables -> hash map
using SeqMap = std::unordered_map<char32_t, U32String>;
SeqMap build_seq_map(const uint32_t* data, size_t size) {
  SeqMap m;
  size_t i = 0;
  while (i < size) {
    char32_t cp = data[i];
    uint32_t n = data[i + 1];
    U32String v;
    for (uint32_t k = 0; k < n; ++k) v.push_back(data[i + 2 + k]);
    m.emplace(cp, std::move(v));
    i += 2 + n;
  }
  return m;
}
const SeqMap& lower_map() {
  static const SeqMap m = build_seq_map(kLower, kLower_size);
  return m;
}
const SeqMap& decomp_map() {
  static const SeqMap m = build_seq_map(kDecomp, kDecomp_size);
  return m;
}
const SeqMap& width_map() {
  static const SeqMap m = build_seq_map(kWidth, kWidth_size);
  return m;
}
int ccc_of(char32_t cp) {
  // kCcc is sorted runs (first, last, value)
  size_t lo = 0, hi = kCcc_size / 3;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kCcc[mid * 3 + 1] < cp) lo = mid + 1;
    else hi = mid;
  }
  if (lo < kCcc_size / 3 && kCcc[lo * 3] <= cp && cp <= kCcc[lo * 3 + 1]) return static_cast<int>(kCcc[lo * 3 + 2]);
  return 0;
}
const std::unordered_map<uint64_t, char32_t>& compose_map() {
  static const auto m = [] {
    std::unordered_map<uint64_t, char32_t> m;
    for (size_t i = 0; i + 2 < kCompose_size; i += 3)
      m.emplace((static_cast<uint64_t>(kCompose[i]) << 32) | kCompose[i + 1], kCompose[i + 2]);
    return m;
  }();
  return m;
}
}  // namespace

bool is_letter(char32_t cp) { return in_ranges(kLetters, kLetters_size, cp); }
bool is_number(char32_t cp) { return in_ranges(kNumbers, kNumbers_size, cp); }
bool is_space(char32_t cp) { return in_ranges(kSpaces, kSpaces_size, cp); }
bool is_mark(char32_t cp) { return in_ranges(kMarks, kMarks_size, cp); }
const char* unicode_version() { return kUnicodeVersion; }

U32String to_lower(const U32String& text) {
  const auto& m = lower_map();
  U32String out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp < 0x80) {
      out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
      continue;
    }
    auto it = m.find(cp);
    if (it == m.end()) out.push_back(cp);
    else out += it->second;
  }
  return out;
}

// ---- NFC ----------------------------------------------------------------------------------------
namespace {
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;
}  // namespace

U32String nfc(const U32String& text) {
  bool ascii = std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x300; });
  if (ascii) {
    // Below U+0300 nothing decomposes into something that recomposes differently... except
    // precomposed Latin-1 letters, which are already NFC; nothing to do.
    return text;
  }
  // 1. canonical decomposition
  const auto& dm = decomp_map();
  U32String d;
  d.reserve(text.size() * 2);
  for (char32_t cp : text) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
      int s = cp - kSBase;
      d.push_back(kLBase + s / kNCount);
      d.push_back(kVBase + (s % kNCount) / kTCount);
      if (s % kTCount) d.push_back(kTBase + s % kTCount);
      continue;
    }
    auto it = dm.find(cp);
    if (it == dm.end()) d.push_back(cp);
    else d += it->second;
  }
  // 2. canonical ordering (stable sort of runs of non-starters by ccc)
  for (size_t i = 0; i < d.size();) {
    if (ccc_of(d[i]) == 0) { ++i; continue; }
    size_t j = i;
    while (j < d.size() && ccc_of(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j, [](char32_t a, char32_t b) { return ccc_of(a) < ccc_of(b); });
    i = j;
  }
  // 3. canonical composition
  const auto& cm = compose_map();
  U32String out;
  out.reserve(d.size());
  ptrdiff_t starter = -1;
  int last_ccc = -1;
  for (char32_t cp : d) {
    int c = ccc_of(cp);
    if (starter >= 0) {
      char32_t s = out[starter];
      bool blocked = last_ccc != -1 && (last_ccc == 0 || last_ccc >= c);
      // adjacent to the starter: not blocked
      if (static_cast<size_t>(starter) == out.size() - 1) blocked = false;
      if (!blocked) {
        // Hangul LV / LVT
        if (s >= kLBase && s < kLBase + kLCount && cp >= kVBase && cp < kVBase + kVCount) {
          out[starter] = kSBase + ((s - kLBase) * kVCount + (cp - kVBase)) * kTCount;
          continue;
        }
        if (s >= kSBase && s < kSBase + kSCount && (s - kSBase) % kTCount == 0 && cp > kTBase &&
            cp < kTBase + kTCount) {
          out[starter] = s + (cp - kTBase);
          continue;
        }
        auto it = cm.find((static_cast<uint64_t>(s) << 32) | cp);
        if (it != cm.end()) {
          out[starter] = it->second;
          continue;
        }
      }
    }
    out.push_back(cp);
    if (c == 0) {
      starter = static_cast<ptrdiff_t>(out.size()) - 1;
      last_ccc = -1;
    } else {
      last_ccc = c;
    }
  }
  return out;
}

// ---- html.unescape ------------------------------------------------------------------------------
namespace {
const char* find_entity(const std::string& name) {
  const HtmlEntity* end = kHtmlEntities + kHtmlEntities_size;
  const HtmlEntity* it = std::lower_bound(kHtmlEntities, end, name, [](const HtmlEntity& e, const std::string& n) {
    return std::strcmp(e.name, n.c_str()) < 0;
  });
  if (it != end && name == it->name) return it->value;
  return nullptr;
}
bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_hex(char32_t c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// One replacement as Python's html._replace_charref; `body` is the regex group after '&'.
U32String replace_charref(const U32String& body) {
  if (body[0] == '#') {
    bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    U32String digits = body.substr(hex ? 2 : 1);
    if (!digits.empty() && digits.back() == ';') digits.pop_back();
    // Python int() of an arbitrarily long number: anything above 0x10FFFF gives U+FFFD
    uint64_t num = 0;
    bool big = false;
    for (char32_t c : digits) {
      int v = is_ascii_digit(c) ? c - '0' : (c >= 'a' ? c - 'a' + 10 : c - 'A' + 10);
      num = num * (hex ? 16 : 10) + v;
      if (num > 0x10FFFF) big = true, num = 0x110000;
    }
    for (size_t i = 0; i + 1 < kInvalidCharrefs_size; i += 2)
      if (!big && kInvalidCharrefs[i] == num) return U32String(1, static_cast<char32_t>(kInvalidCharrefs[i + 1]));
    if (big || (num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return U32String(1, 0xFFFD);
    if (std::binary_search(kInvalidCodepoints, kInvalidCodepoints + kInvalidCodepoints_size, static_cast<uint32_t>(num)))
      return U32String();
    return U32String(1, static_cast<char32_t>(num));
  }
  std::string name = utf8_encode(body);
  if (const char* v = find_entity(name)) return utf8_decode(v);
  for (size_t x = body.size() - 1; x > 1; --x) {
    std::string prefix = utf8_encode(body.substr(0, x));
    if (const char* v = find_entity(prefix)) return utf8_decode(v) + body.substr(x);
  }
  return U32String(1, '&') + body;
}
}  // namespace

U32String html_unescape(const U32String& s) {
  if (s.find(U'&') == U32String::npos) return s;
  // regex: &(#[0-9]+;? | #[xX][0-9a-fA-F]+;? | [^\t\n\f <&#;]{1,32};?)
  U32String out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') { out.push_back(s[i++]); continue; }
    size_t j = i + 1;
    size_t end = 0;  // end of match (exclusive), 0 = no match
    if (j < s.size() && s[j] == '#') {
      size_t k = j + 1;
      if (k < s.size() && (s[k] == 'x' || s[k] == 'X') && k + 1 < s.size() && is_ascii_hex(s[k + 1])) {
        k += 1;
        while (k < s.size() && is_ascii_hex(s[k])) ++k;
        if (k < s.size() && s[k] == ';') ++k;
        end = k;
      } else if (k < s.size() && is_ascii_digit(s[k])) {
        while (k < s.size() && is_ascii_digit(s[k])) ++k;
        if (k < s.size() && s[k] == ';') ++k;
        end = k;
      }
    } else {
      size_t k = j;
      auto ok = [](char32_t c) { return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';'; };
      while (k < s.size() && k - j < 32 && ok(s[k])) ++k;
      if (k > j) {
        if (k < s.size() && s[k] == ';') ++k;
        end = k;
      }
    }
    if (!end) { out.push_back(s[i++]); continue; }
    out += replace_charref(s.substr(j, end - j));
    i = end;
  }
  return out;
}

// ---- ftfy subset --------------------------------------------------------------------------------
namespace {
// Windows-1252 0x80..0x9F; "sloppy": undefined bytes map to the same C1 code point.
const char32_t kCp1252High[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                  0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
// code point -> sloppy-windows-1252 byte, or -1
int to_cp1252(char32_t cp) {
  if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) return static_cast<int>(cp);
  for (int i = 0; i < 32; ++i)
    if (kCp1252High[i] == cp) return 0x80 + i;
  return -1;
}

// ftfy's fix_encoding, reduced to its main case: the whole segment is UTF-8 that was decoded as
// (sloppy) Windows-1252 / Latin-1. Applied only when the text shows the typical mojibake pattern
// (a lead byte C2..F4 followed by a continuation byte 80..BF) and the re-decoding is valid UTF-8.
U32String fix_mojibake(const U32String& text) {
  std::string bytes;
  bool pattern = false;
  for (size_t i = 0; i < text.size(); ++i) {
    int b = to_cp1252(text[i]);
    if (b < 0) return text;
    if (b >= 0xC2 && b <= 0xF4 && i + 1 < text.size()) {
      int nb = to_cp1252(text[i + 1]);
      if (nb >= 0x80 && nb <= 0xBF) pattern = true;
    }
    bytes.push_back(static_cast<char>(b));
  }
  if (!pattern) return text;
  U32String fixed = utf8_decode(bytes);
  if (std::find(fixed.begin(), fixed.end(), char32_t(0xFFFD)) != fixed.end()) return text;
  return fixed;
}

U32String fix_c1_controls(const U32String& t) {
  U32String out = t;
  for (auto& c : out)
    if (c >= 0x80 && c <= 0x9F) c = kCp1252High[c - 0x80];
  return out;
}

U32String fix_ligatures(const U32String& t) {
  static const std::unordered_map<char32_t, const char32_t*> m = {
      {0x0132, U"IJ"}, {0x0133, U"ij"}, {0x0149, U"\u02BCn"}, {0x01F1, U"DZ"}, {0x01F2, U"Dz"},
      {0x01F3, U"dz"}, {0x01C4, U"D\u017D"}, {0x01C5, U"D\u017E"}, {0x01C6, U"d\u017E"}, {0x01C7, U"LJ"},
      {0x01C8, U"Lj"}, {0x01C9, U"lj"}, {0x01CA, U"NJ"}, {0x01CB, U"Nj"}, {0x01CC, U"nj"},
      {0xFB00, U"ff"}, {0xFB01, U"fi"}, {0xFB02, U"fl"}, {0xFB03, U"ffi"}, {0xFB04, U"ffl"},
      {0xFB05, U"\u017Ft"}, {0xFB06, U"st"}};
  U32String out;
  for (char32_t c : t) {
    auto it = m.find(c);
    if (it == m.end()) out.push_back(c);
    else out += it->second;
  }
  return out;
}

U32String fix_width(const U32String& t) {
  const auto& m = width_map();
  U32String out;
  for (char32_t c : t) {
    auto it = (c == 0x3000 || (c >= 0xFF01 && c < 0xFFF0)) ? m.find(c) : m.end();
    if (it == m.end()) out.push_back(c);
    else out += it->second;
  }
  return out;
}

U32String uncurl_quotes(const U32String& t) {
  U32String out = t;
  for (auto& c : out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) c = '\'';
    else if (c >= 0x201C && c <= 0x201F) c = '"';
  }
  return out;
}

U32String fix_line_breaks(const U32String& t) {
  U32String out;
  for (size_t i = 0; i < t.size(); ++i) {
    char32_t c = t[i];
    if (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n') continue;
    if (c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85) c = '\n';
    out.push_back(c);
  }
  return out;
}

U32String remove_control_chars(const U32String& t) {
  U32String out;
  for (char32_t c : t) {
    bool ctrl = c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
                c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    if (!ctrl) out.push_back(c);
  }
  return out;
}

// ftfy's unescape_html: only complete entities "&name;" / "&#123;" / "&#x1F;" are replaced.
U32String ftfy_unescape(const U32String& s) {
  U32String out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      size_t k = i + 1;
      if (k < s.size() && s[k] == '#') ++k;
      size_t start = k;
      while (k < s.size() && k - start < 24 && s[k] < 0x80 && std::isalnum(static_cast<int>(s[k]))) ++k;
      if (k > start && k < s.size() && s[k] == ';') {
        U32String ent = s.substr(i, k + 1 - i);
        U32String rep = html_unescape(ent);
        if (rep != ent && rep.find(U';') == U32String::npos) {
          out += rep;
          i = k + 1;
          continue;
        }
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

U32String fix_segment(U32String text, bool unescape) {
  for (int round = 0; round < 16; ++round) {
    U32String orig = text;
    if (unescape) text = ftfy_unescape(text);
    text = fix_mojibake(text);
    text = fix_c1_controls(text);
    text = fix_ligatures(text);
    text = fix_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    text = remove_control_chars(text);
    text = nfc(text);
    if (text == orig) break;
  }
  return text;
}
}  // namespace

U32String ftfy_fix_text(const U32String& text) {
  U32String out;
  bool unescape = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t brk = text.find(U'\n', pos);
    brk = brk == U32String::npos ? text.size() : brk + 1;
    U32String seg = text.substr(pos, brk - pos);
    if (seg.find(U'<') != U32String::npos) unescape = false;  // ftfy "auto": sticky once '<' is seen
    out += fix_segment(seg, unescape);
    pos = brk;
  }
  return out;
}

}  // namespace vdf::clip
