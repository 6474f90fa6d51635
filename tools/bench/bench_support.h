// What every CPU benchmark of tools/bench/ shares: the process's peak RSS, and running one side of a
// comparison (vdf child or Python reference) as a child process whose last line is one JSON object.
#pragma once
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "framework/core/error.h"

namespace vdf::bench {

inline double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

// Runs `cmd`, requires exit status 0, and parses the last JSON object it printed.
inline nlohmann::json run_json(const std::string& cmd) {
  FILE* f = popen(cmd.c_str(), "r");
  VDF_CHECK(f, "cannot run '{}'", cmd);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  const int rc = pclose(f);
  VDF_CHECK(rc == 0, "'{}' failed (status {}): {}", cmd, rc, out);
  const auto pos = out.rfind("{\"");
  VDF_CHECK(pos != std::string::npos, "'{}' printed no JSON: {}", cmd, out);
  return nlohmann::json::parse(out.substr(pos));
}

}  // namespace vdf::bench
