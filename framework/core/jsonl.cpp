#include "framework/core/jsonl.h"

#include <fstream>
#include <string>

#include "framework/core/error.h"
#include "framework/core/log.h"

namespace vdf {

std::vector<JsonLine> read_jsonl(const std::filesystem::path& path, BadJsonLine bad) {
  std::ifstream in(path);
  VDF_CHECK(in.good(), "cannot read '{}'", path.string());
  std::vector<JsonLine> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      if (bad == BadJsonLine::error) fail("'{}' line {}: bad JSON", path.string(), n);
      if (bad == BadJsonLine::warn) VDF_WARN("'{}' line {}: skipped (bad JSON)", path.string(), n);
      continue;
    }
    out.push_back({n, std::move(j)});
  }
  return out;
}

std::vector<nlohmann::json> read_metrics(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  if (!std::filesystem::exists(path)) return out;
  for (auto& l : read_jsonl(path, BadJsonLine::skip))
    if (l.value.is_object()) out.push_back(std::move(l.value));
  return out;
}

}  // namespace vdf
