#include "framework/config/document.h"

#include <fstream>
#include <iterator>
#include <set>

#include "framework/core/error.h"

namespace vdf::config {
namespace fs = std::filesystem;

std::string Source::describe() const {
  if (file == "<command line>") return "command line override";
  if (line > 0) return file + ":" + std::to_string(line);
  return file;
}

const Source* Document::source_of(const std::string& key_path) const {
  auto it = sources.find(key_path);
  return it == sources.end() ? nullptr : &it->second;
}

void merge_into(YAML::Node& base, const YAML::Node& over) {
  if (!over.IsMap() || !base.IsMap()) {
    base = over;
    return;
  }
  for (auto it = over.begin(); it != over.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (base[key] && base[key].IsMap() && it->second.IsMap()) {
      YAML::Node child = base[key];
      merge_into(child, it->second);
    } else {
      base[key] = YAML::Clone(it->second);
    }
  }
}

namespace {

void record_sources(const YAML::Node& node, const std::string& prefix, const std::string& file,
                    std::map<std::string, Source>& out) {
  if (!node.IsMap()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (key == "_base_") continue;
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    out[path] = Source{file, it->first.Mark().line >= 0 ? it->first.Mark().line + 1 : -1};
    record_sources(it->second, path, file, out);
  }
}

// Every mapping key must be a plain scalar (YAML also allows maps and lists as keys: `{a: 1}: x`);
// the rest of the config code relies on it. Found by tools/fuzz/config.cpp.
void check_keys(const YAML::Node& node, const std::string& name, int depth) {
  if (depth > 256) fail("config '{}': nested deeper than 256 levels", name);
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar())
        fail("config '{}': line {}: a key must be a plain name, not a {}", name, it->first.Mark().line + 1,
             it->first.IsMap() ? "mapping" : it->first.IsSequence() ? "list" : "null");
      check_keys(it->second, name, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_keys(item, name, depth + 1);
  }
}

YAML::Node parse_yaml(const std::string& text, const std::string& name) {
  try {
    YAML::Node node = YAML::Load(text);
    if (node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) fail("config '{}': the top level must be a mapping of keys to values", name);
    check_keys(node, name, 0);
    return node;
  } catch (const YAML::Exception& e) {
    fail("config '{}': YAML syntax error at line {}, column {}: {}", name, e.mark.line + 1,
         e.mark.column + 1, e.msg);
  }
}

Document load_recursive(const fs::path& file, std::set<std::string>& stack) {
  const std::string canonical = fs::weakly_canonical(file).string();
  if (!fs::exists(file)) fail("config file '{}' does not exist", file.string());
  if (stack.count(canonical)) fail("config '{}': `_base_` inheritance cycle", file.string());
  stack.insert(canonical);

  std::string text;
  {
    std::ifstream in(file);
    if (!in) fail("cannot read config file '{}'", file.string());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  YAML::Node node = parse_yaml(text, file.string());

  Document doc;
  if (YAML::Node bases = node["_base_"]) {
    std::vector<std::string> list;
    if (bases.IsScalar()) {
      list.push_back(bases.as<std::string>());
    } else if (bases.IsSequence()) {
      for (const auto& b : bases) {
        if (!b.IsScalar()) fail("config '{}': `_base_` entries must be file paths", file.string());
        list.push_back(b.as<std::string>());
      }
    } else {
      fail("config '{}': `_base_` must be a file path or a list of file paths", file.string());
    }
    for (const auto& rel : list) {
      fs::path base_path = file.parent_path() / rel;
      Document base = with_context(fmt::format("config '{}' (via _base_)", file.string()),
                                   [&] { return load_recursive(base_path, stack); });
      merge_into(doc.root, base.root);
      for (auto& kv : base.sources) doc.sources[kv.first] = kv.second;
      doc.files.insert(doc.files.end(), base.files.begin(), base.files.end());
    }
    node.remove("_base_");
  }
  merge_into(doc.root, node);
  record_sources(node, "", file.string(), doc.sources);
  doc.files.push_back(file.string());
  stack.erase(canonical);
  return doc;
}

}  // namespace

Document load_document(const fs::path& file) {
  std::set<std::string> stack;
  return load_recursive(file, stack);
}

Document parse_document(const std::string& text, const std::string& name) {
  Document doc;
  doc.root = parse_yaml(text, name);
  if (doc.root["_base_"]) fail("config '{}': `_base_` is only supported in files", name);
  record_sources(doc.root, "", name, doc.sources);
  doc.files.push_back(name);
  return doc;
}

void apply_override(Document& doc, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("override '{}' must look like key.path=value", assignment);
  const std::string key = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = value_text.empty() ? YAML::Node(std::string()) : YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    fail("override '{}': cannot parse the value: {}", assignment, e.msg);
  }
  check_keys(value, "override '" + assignment + "'", 0);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& p : parts)
    if (p.empty()) fail("override '{}': empty component in key path '{}'", assignment, key);

  // yaml-cpp nodes are handles: walk down with copies that alias the tree.
  // Walk with reset(): plain assignment between yaml-cpp nodes would overwrite the tree.
  YAML::Node cursor;
  cursor.reset(doc.root);
  std::string path;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    path += (i ? "." : "") + parts[i];
    YAML::Node next;
    next.reset(cursor[parts[i]]);
    if (!next || next.IsNull()) {
      cursor[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next.reset(cursor[parts[i]]);
    } else if (!next.IsMap()) {
      fail("override '{}': '{}' is a value, not a section, so it has no key '{}'", assignment, path,
           parts[i + 1]);
    }
    cursor.reset(next);
  }
  cursor[parts.back()] = value;
  doc.sources[key] = Source{"<command line>", -1};
}

}  // namespace vdf::config
