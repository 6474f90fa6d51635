// libFuzzer target: the config parser. The input is split at the first NUL byte: before it, YAML text
// for vdf::config::parse_document; after it, newline-separated "a.b=value" overrides; then the document
// is bound to VdfConfig and validated, and a successful result is written back to YAML and re-read
// (it must bind again). Anything but vdf::Error (or a YAML exception wrapped by the parser) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "app/config.h"
#include "framework/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string yaml = input, overrides;
  if (auto nul = input.find('\0'); nul != std::string::npos) {
    yaml = input.substr(0, nul);
    overrides = input.substr(nul + 1);
  }
  using namespace vdf::config;
  std::string text;
  try {
    Document doc = parse_document(yaml, "fuzz.yaml");
    std::istringstream lines(overrides);
    std::string line;
    while (std::getline(lines, line)) apply_override(doc, line);
    VdfConfig cfg = bind<VdfConfig>(doc);
    text = to_yaml(cfg);
  } catch (const vdf::Error&) {
    return 0;
  }
  // The resolved config must round-trip.
  try {
    (void)bind<VdfConfig>(parse_document(text, "roundtrip.yaml"));
  } catch (const vdf::Error&) {
    std::abort();
  }
  return 0;
}
