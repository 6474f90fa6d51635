#include "framework/models/text/t5_prompt_clean.h"

#include "framework/models/clip/unicode.h"

namespace vdf::text {

namespace {

clip::U32String t5_strip(const clip::U32String& t) {
  size_t a = 0, b = t.size();
  while (a < b && clip::is_space(t[a])) ++a;
  while (b > a && clip::is_space(t[b - 1])) --b;
  return t.substr(a, b - a);
}

}  // namespace

std::string wan_prompt_clean(const std::string& text) {
  // basic_clean (without ftfy): html.unescape(html.unescape(text)).strip()
  const clip::U32String basic = t5_strip(clip::html_unescape(clip::html_unescape(clip::utf8_decode(text))));
  // whitespace_clean: re.sub(r"\s+", " ", text).strip()
  clip::U32String out;
  bool in_space = false;
  for (char32_t c : basic) {
    if (clip::is_space(c)) {
      if (!in_space) out.push_back(U' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return clip::utf8_encode(t5_strip(out));
}

}  // namespace vdf::text
