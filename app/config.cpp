#include "app/config.h"

namespace vdf::config {

VdfConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  Document doc = path.empty() ? parse_document("", "<defaults>") : load_document(path);
  for (const auto& o : overrides) apply_override(doc, o);
  return bind<VdfConfig>(doc);
}

VdfConfig parse_config(const std::string& yaml_text, const std::vector<std::string>& overrides) {
  Document doc = parse_document(yaml_text, "<text>");
  for (const auto& o : overrides) apply_override(doc, o);
  return bind<VdfConfig>(doc);
}

}  // namespace vdf::config
