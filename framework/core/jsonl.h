// JSON-lines files (one JSON value per line): the one reader behind metrics.jsonl (written by the
// trainer, read by resume, `vdf eval` plots, `vdf attributes`, tests) and prompt files.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

namespace vdf {

struct JsonLine {
  int line = 0;  // 1-based line number in the file
  nlohmann::json value;
};

enum class BadJsonLine {
  error,  // throw vdf::Error naming the file and line
  warn,   // skip it with a warning
  skip,   // skip it silently (the torn last line of a killed writer)
};

// Every non-blank line of `path` parsed as JSON. A file that cannot be read is an error.
std::vector<JsonLine> read_jsonl(const std::filesystem::path& path, BadJsonLine bad = BadJsonLine::error);

// metrics.jsonl: its JSON objects in file order; torn or non-object lines are skipped, a missing file
// gives none.
std::vector<nlohmann::json> read_metrics(const std::filesystem::path& path);

}  // namespace vdf
