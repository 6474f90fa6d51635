#include "framework/config/binding.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace vdf::config {

namespace {
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string closest_key(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& k : known) {
    size_t d = edit_distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

std::string key_location(const Document* doc, const std::string& key_path) {
  if (!doc) return "";
  // The source of the key itself, or of its nearest recorded ancestor (list elements, etc.).
  std::string p = key_path;
  while (!p.empty()) {
    if (const Source* s = doc->source_of(p)) return " (" + s->describe() + ")";
    auto cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p = p.substr(0, cut);
  }
  return "";
}

void Reader::type_error(const std::string& key_path, const YAML::Node& value,
                        const std::string& expected_text) const {
  // A choice arrives as "one of a, b, c" and reads better as "a, b or c".
  std::string expected = expected_text;
  if (expected.rfind("one of ", 0) == 0) {
    expected = expected.substr(7);
    const auto last = expected.rfind(", ");
    if (last != std::string::npos) expected.replace(last, 2, " or ");
  }
  std::string got;
  if (value.IsScalar()) got = "'" + value.Scalar() + "'";
  else if (value.IsSequence()) got = "a list";
  else if (value.IsMap()) got = "a section";
  else got = "null";
  fail("config key '{}'{}: expected {}, got {}", key_path, key_location(doc_, key_path), expected, got);
}

namespace {
// Merge order of a source: files in doc.files order, then the command line.
int layer_of_source(const Document& doc, const Source& s) {
  if (s.file == "<command line>") return static_cast<int>(doc.files.size());
  for (int i = static_cast<int>(doc.files.size()) - 1; i >= 0; --i)
    if (doc.files[i] == s.file) return i;
  return static_cast<int>(doc.files.size());
}

// The source of the last layer that set `key_path` or a key below it (nullptr: a default).
const Source* last_source(const Document& doc, const std::string& key_path) {
  const Source* best = nullptr;
  int best_layer = -1;
  for (auto it = doc.sources.lower_bound(key_path); it != doc.sources.end(); ++it) {
    const std::string& k = it->first;
    if (k.compare(0, key_path.size(), key_path) != 0) break;
    if (k.size() != key_path.size() && k[key_path.size()] != '.' && k[key_path.size()] != '[') continue;
    const int layer = layer_of_source(doc, it->second);
    if (layer > best_layer) best = &it->second, best_layer = layer;
  }
  return best;
}

int layer_of(const Document& doc, const std::string& key_path) {
  const Source* s = last_source(doc, key_path);
  return s ? layer_of_source(doc, *s) : -1;
}
}  // namespace

bool Reader::kind_changed_later(const std::string& key_path, const When& when) const {
  if (!doc_ || !when.kind_key) return false;
  return layer_of(*doc_, path(when.kind_key)) > layer_of(*doc_, key_path);
}

void Reader::not_applicable(const std::string& key_path, const When& when) const {
  // Name where it was last set: the key itself or, for a section, a key inside it (an override may have
  // set only `a.b.c`), else its nearest recorded ancestor.
  std::string at;
  if (doc_)
    if (const Source* src = last_source(*doc_, key_path)) at = " (" + src->describe() + ")";
  if (at.empty()) at = key_location(doc_, key_path);
  fail("config key '{}'{} does not apply here: it is only read when {}", key_path, at, when.condition);
}

void Reader::reject_unknown() const {
  if (!node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const std::string key_path = path(key);
    std::string hint = closest_key(key, known_);
    std::string known_list;
    for (size_t i = 0; i < known_.size(); ++i) known_list += (i ? ", " : "") + known_[i];
    fail("unknown config key '{}'{}{}; known keys{}: {}", key_path, key_location(doc_, key_path),
         hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", path(hint)),
         prefix_.empty() ? "" : fmt::format(" in '{}'", prefix_), known_list);
  }
}

bool parse_bool(const std::string& text, bool* out) {
  if (text == "true" || text == "True" || text == "TRUE") return *out = true, true;
  if (text == "false" || text == "False" || text == "FALSE") return *out = false, true;
  return false;
}

bool parse_int64(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  auto res = std::from_chars(begin, end, *out);
  return res.ec == std::errc() && res.ptr == end;
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  if (text == ".inf" || text == "inf") return *out = HUGE_VAL, true;
  if (text == "-.inf" || text == "-inf") return *out = -HUGE_VAL, true;
  if (text == ".nan" || text == "nan") return *out = NAN, true;
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size();
}

std::string Writer::format_double(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  // Keep floats recognisable as floats in YAML ("1" -> "1.0").
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace vdf::config
