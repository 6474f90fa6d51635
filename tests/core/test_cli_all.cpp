// Every subcommand of `vdf` answers --help (so no option is registered twice, which CLI11 rejects at
// setup) and shows defaults; docs/config.md lists every config key of the compiled schema.
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

TEST_CASE("cli: every subcommand answers --help", "[e2e][cli]") {
  auto names = subcommands();
  CHECK(names.size() >= 8);
  for (const auto& name : names) {
    INFO("vdf " << name << " --help");
    auto r = run_command(vdf_exe() + " " + name + " --help");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("Usage"));
  }
}

TEST_CASE("docs: docs/config.md lists every config key (run tools/gen_config_docs.sh)", "[e2e][docs]") {
  auto r = run_command(vdf_exe() + " config --schema");
  REQUIRE(r.exit_code == 0);
  std::ifstream in(source_dir() / "docs/config.md");
  REQUIRE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  std::istringstream keys(r.output);
  std::string line;
  int n = 0;
  while (std::getline(keys, line)) {
    std::string key = line.substr(0, line.find(' '));
    INFO("key " << key << " missing from docs/config.md; run tools/gen_config_docs.sh");
    CHECK(doc.str().find("`" + key + "`") != std::string::npos);
    ++n;
  }
  CHECK(n > 50);
}
