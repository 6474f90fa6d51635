// Small Unicode toolkit for the CLIP tokenizer: UTF-8 <-> code points, the character classes of the
// CLIP pre-tokenizer regex (\p{L}, \p{N}, whitespace as Python's str.isspace), Python's str.lower(),
// NFC normalization, and the fixed subset of ftfy.fix_text() that CLIP prompts need (see
// docs/models.md). Tables are generated from Python 3.11's unicodedata (Unicode 14.0) by
// tools/scripts/gen_unicode_tables.py into unicode_data.cpp; no ICU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vdf::clip {

using U32String = std::u32string;

// Decodes UTF-8; invalid bytes become U+FFFD (as Python's errors="replace" would).
U32String utf8_decode(std::string_view bytes);
std::string utf8_encode(const U32String& text);
void utf8_append(std::string& out, char32_t cp);

bool is_letter(char32_t cp);  // general category L*
bool is_number(char32_t cp);  // general category N*
bool is_space(char32_t cp);   // Python str.isspace()
bool is_mark(char32_t cp);    // general category M*

// Python str.lower() (full mapping; U+0130 becomes two code points).
U32String to_lower(const U32String& text);
// Unicode NFC (canonical decomposition, canonical ordering, canonical composition, Hangul).
U32String nfc(const U32String& text);
// Python html.unescape(): named entities (the HTML5 set that matters in prompts, see unicode.cpp),
// decimal and hex character references with the HTML5 replacement rules.
U32String html_unescape(const U32String& text);
// The parts of ftfy.fix_text() (6.3 defaults) implemented here; see docs/models.md for what is left out.
U32String ftfy_fix_text(const U32String& text);

const char* unicode_version();

namespace unicode_data {
struct CodeRange {
  uint32_t first, last;
};
extern const char* const kUnicodeVersion;
extern const CodeRange kLetters[];
extern const size_t kLetters_size;
extern const CodeRange kNumbers[];
extern const size_t kNumbers_size;
extern const CodeRange kSpaces[];
extern const size_t kSpaces_size;
extern const CodeRange kMarks[];
extern const size_t kMarks_size;
// flat: cp, n, v0..v(n-1), ...
extern const uint32_t kLower[];
extern const size_t kLower_size;
extern const uint32_t kDecomp[];
extern const size_t kDecomp_size;
extern const uint32_t kWidth[];
extern const size_t kWidth_size;
// flat: first, last, ccc, ...
extern const uint32_t kCcc[];
extern const size_t kCcc_size;
// flat: a, b, composite, ... sorted by (a, b)
extern const uint32_t kCompose[];
extern const size_t kCompose_size;
struct HtmlEntity {
  const char* name;   // without '&'; some end with ';' (Python's html.entities.html5 keys)
  const char* value;  // UTF-8
};
extern const HtmlEntity kHtmlEntities[];  // sorted by name (strcmp order)
extern const size_t kHtmlEntities_size;
extern const uint32_t kInvalidCharrefs[];  // flat: number, replacement code point
extern const size_t kInvalidCharrefs_size;
extern const uint32_t kInvalidCodepoints[];  // sorted
extern const size_t kInvalidCodepoints_size;
}  // namespace unicode_data

}  // namespace vdf::clip
