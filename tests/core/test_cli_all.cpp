// Every subcommand of `vdf` answers --help (so no option is registered twice, which CLI11 rejects at
// setup) and shows defaults; docs/config.md is exactly what tools/gen_config_docs.sh generates.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/test_support.h"

using namespace vdf::testing;

namespace {
std::vector<std::string> subcommands() {
  auto r = run_command(vdf_exe() + " --help");
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  std::istringstream in(r.output);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_section = true;
      continue;
    }
    std::smatch m;
    if (in_section && std::regex_match(line, m, std::regex("^  ([a-z][a-z0-9_-]*)\\s.*"))) names.push_back(m[1]);
  }
  return names;
}
}  // namespace

TEST_CASE("cli: every subcommand answers --help and shows option defaults", "[e2e][cli]") {
  auto names = subcommands();
  CHECK(names.size() >= 8);
  // A numeric option always has a value, so its help line must show it: "--steps INT=100  ..." (CLI11
  // 2.3; older versions print "INT [100]").
  const std::regex numeric_option("^\\s+(-[A-Za-z], )?--[a-z0-9-]+ (INT|UINT|FLOAT)\\b(.*)$");
  const std::regex shown_default("^(:[^\\s=\\[]*)?(=\\S+|\\s*\\[[^\\]]+\\]).*");
  int numeric = 0;
  for (const auto& name : names) {
    INFO("vdf " << name << " --help");
    auto r = run_command(vdf_exe() + " " + name + " --help");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("Usage"));
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (!std::regex_match(line, m, numeric_option)) continue;
      ++numeric;
      INFO("help line without its default: " << line);
      CHECK(std::regex_match(std::string(m[3]), shown_default));
    }
  }
  CHECK(numeric >= 10);  // the check above did run
  auto top = run_command(vdf_exe() + " --help");
  CHECK_THAT(top.output, Catch::Contains("TEXT=info") || Catch::Contains("TEXT [info]"));  // --log-level
}

TEST_CASE("docs: docs/config.md is what tools/gen_config_docs.sh generates from the compiled schema",
          "[e2e][docs]") {
  TempDir tmp("vdf-config-docs");
  const auto generated = tmp / "config.md";
  auto r = run_command("bash " + (source_dir() / "tools/gen_config_docs.sh").string() + " " + vdf_exe() + " " +
                       generated.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto read_lines = [](const fs::path& p) {
    std::ifstream in(p);
    REQUIRE(in.good());
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  };
  const auto want = read_lines(generated);
  const auto have = read_lines(source_dir() / "docs/config.md");
  CHECK(want.size() > 50);
  for (size_t i = 0; i < std::max(want.size(), have.size()); ++i) {
    INFO("docs/config.md line " << i + 1 << " differs from the generated file; run tools/gen_config_docs.sh");
    REQUIRE((i < have.size() ? have[i] : "<end of file>") == (i < want.size() ? want[i] : "<end of file>"));
  }
}
