#include "data/ingest/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"

namespace vdf::data {

namespace fs = std::filesystem;

std::vector<std::vector<std::string>> parse_csv(const std::string& text, std::vector<int64_t>* lines) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, field_started = false, row_has_content = false;
  int64_t line = 1, row_line = 1, quote_line = 1;
  size_t i = 0;
  // Strip a UTF-8 byte order mark.
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    // A row that is a single empty field is a blank line: skipped.
    if (!(row.size() == 1 && row[0].empty() && !row_has_content)) {
      rows.push_back(std::move(row));
      if (lines) lines->push_back(row_line);
    }
    row.clear();
    field_started = false;
    row_has_content = false;
  };
  for (; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
      row_has_content = true;
      quote_line = line;
    } else if (ch == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      row_has_content = true;
    } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: handled at the '\n'
    } else if (ch == '\n' || ch == '\r') {
      end_row();
      ++line;
      row_line = line;
    } else {
      field.push_back(ch);
      field_started = true;
      row_has_content = true;
    }
  }
  if (in_quotes) fail("CSV: quoted field opened on line {} is never closed", quote_line);
  if (!field.empty() || !row.empty() || row_has_content) end_row();
  return rows;
}

bool is_image_path(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct RawRow {
  int64_t line = 0;
  std::string path, caption, id, split;
  std::string malformed;  // non-empty: why the row could not be read
};

std::vector<RawRow> read_csv_rows(const fs::path& file, const std::string& text) {
  std::vector<int64_t> lines;
  auto rows = with_context("reading manifest '" + file.string() + "'", [&] { return parse_csv(text, &lines); });
  VDF_CHECK(!rows.empty(), "manifest '{}' is empty (expected a header row with path,caption)", file.string());
  const auto& header = rows[0];
  int col_path = -1, col_caption = -1, col_id = -1, col_split = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string h = lower(trim(header[c]));
    if (col_path < 0 && (h == "path" || h == "video" || h == "file")) col_path = int(c);
    else if (col_caption < 0 && (h == "caption" || h == "text" || h == "prompt")) col_caption = int(c);
    else if (h == "id") col_id = int(c);
    else if (h == "split") col_split = int(c);
  }
  VDF_CHECK(col_path >= 0 && col_caption >= 0,
            "manifest '{}': header row must name a 'path' (or video/file) and a 'caption' (or text/prompt) "
            "column; got '{}'",
            file.string(), text.substr(0, text.find('\n')));
  std::vector<RawRow> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    RawRow row;
    row.line = lines[r];
    const auto& f = rows[r];
    if (f.size() != header.size()) {
      row.malformed = fmt::format("row has {} fields, header has {}", f.size(), header.size());
      if (int(f.size()) > col_path) row.path = trim(f[col_path]);
    } else {
      row.path = trim(f[col_path]);
      row.caption = trim(f[col_caption]);
      if (col_id >= 0) row.id = trim(f[col_id]);
      if (col_split >= 0) row.split = trim(f[col_split]);
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<RawRow> read_jsonl_rows(const std::string& text) {
  std::vector<RawRow> out;
  std::istringstream in(text);
  std::string line;
  int64_t n = 0;
  auto get_str = [](const nlohmann::json& j, std::initializer_list<const char*> keys, std::string* value) {
    for (const char* k : keys) {
      auto it = j.find(k);
      if (it == j.end() || it->is_null()) continue;
      if (it->is_string()) *value = it->get<std::string>();
      else if (it->is_number()) *value = it->dump();
      else return std::string("field '") + k + "' is not a string";
      return std::string();
    }
    return std::string();
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    RawRow row;
    row.line = n;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      row.malformed = "not a JSON object";
    } else {
      std::string err;
      for (std::string e : {get_str(j, {"path", "video", "file"}, &row.path),
                            get_str(j, {"caption", "text", "prompt"}, &row.caption), get_str(j, {"id"}, &row.id),
                            get_str(j, {"split"}, &row.split)})
        if (!e.empty() && err.empty()) err = e;
      row.path = trim(row.path);
      row.caption = trim(row.caption);
      row.id = trim(row.id);
      row.split = trim(row.split);
      if (!err.empty()) row.malformed = err;
      else if (row.path.empty()) row.malformed = "no 'path' field";
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

Manifest read_manifest(const fs::path& file, const std::string& format, const std::string& split,
                       bool check_files) {
  std::string fmt_name = format;
  if (fmt_name == "auto") {
    const std::string ext = lower(file.extension().string());
    fmt_name = (ext == ".jsonl" || ext == ".json" || ext == ".ndjson") ? "jsonl" : "csv";
  }
  VDF_CHECK(fmt_name == "csv" || fmt_name == "jsonl", "manifest format '{}': expected auto, csv or jsonl", format);
  VDF_CHECK(fs::is_regular_file(file), "manifest '{}' does not exist or is not a file", file.string());
  const std::string text = read_file(file);
  std::vector<RawRow> rows = fmt_name == "csv" ? read_csv_rows(file, text) : read_jsonl_rows(text);

  Manifest m;
  m.file = file;
  const fs::path base = file.parent_path();
  std::map<std::string, int64_t> first_line_of_id;
  for (auto& raw : rows) {
    if (!split.empty() && raw.malformed.empty() && raw.split != split) continue;
    ManifestEntry e;
    e.row = int64_t(m.entries.size());
    e.line = raw.line;
    e.path = raw.path;
    e.caption = raw.caption;
    e.split = raw.split;
    e.id = raw.id.empty() ? raw.path : raw.id;
    e.resolved = raw.path.empty() ? fs::path() : (fs::path(raw.path).is_absolute() ? fs::path(raw.path) : base / raw.path);
    e.is_image = is_image_path(raw.path);
    auto reject = [&](const char* reason, std::string detail) {
      if (e.reject_reason.empty()) {
        e.reject_reason = reason;
        e.reject_detail = std::move(detail);
      }
    };
    if (!raw.malformed.empty()) reject(reject::kMalformedRow, fmt::format("line {}: {}", raw.line, raw.malformed));
    if (raw.path.empty()) reject(reject::kMalformedRow, fmt::format("line {}: empty path", raw.line));
    if (e.caption.empty()) reject(reject::kEmptyCaption, fmt::format("line {}: empty caption", raw.line));
    if (!e.id.empty()) {
      auto [it, inserted] = first_line_of_id.emplace(e.id, raw.line);
      if (!inserted)
        reject(reject::kDuplicateId, fmt::format("line {}: id '{}' already used on line {}", raw.line, e.id, it->second));
    }
    if (check_files && !raw.path.empty()) {
      std::error_code ec;
      if (!fs::is_regular_file(e.resolved, ec))
        reject(reject::kMissingFile, fmt::format("line {}: no file '{}'", raw.line, e.resolved.string()));
    }
    m.entries.push_back(std::move(e));
  }
  return m;
}

std::vector<ManifestEntry> rank_slice(const std::vector<ManifestEntry>& entries, int rank, int world_size) {
  VDF_CHECK(world_size >= 1 && rank >= 0 && rank < world_size, "rank {} / world size {} is invalid", rank, world_size);
  std::vector<ManifestEntry> out;
  for (const auto& e : entries)
    if (e.row % world_size == rank) out.push_back(e);
  return out;
}

}  // namespace vdf::data
