// Raw YAML config documents: `_base_` inheritance (one file or a list, paths relative to the including
// file, bases merged in order, then the file itself on top), `a.b.c=value` overrides, and the source
// (file, line) of every key so errors can point at it. Typed binding lives in binding.h.
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vdf::config {

struct Source {
  std::string file;  // "<command line>" for overrides
  int line = -1;     // 1-based; -1 when unknown
  std::string describe() const;  // "configs/x.yaml:12" or "command line override"
};

struct Document {
  YAML::Node root = YAML::Node(YAML::NodeType::Map);
  std::map<std::string, Source> sources;  // dotted key path -> where its value was last set
  std::vector<std::string> files;         // every file read, bases first

  const Source* source_of(const std::string& key_path) const;
};

// Loads `file`, resolving `_base_` recursively (cycles are errors). Throws vdf::Error naming the file.
Document load_document(const std::filesystem::path& file);
// Parses YAML text as a document (for tests and embedded defaults); `name` is used in messages.
Document parse_document(const std::string& text, const std::string& name);
// Applies "a.b.c=value". The value is parsed as YAML ("3", "1e-4", "[1,2]", "true", "text").
// Intermediate maps are created as needed; whether the key exists is checked later, at binding.
void apply_override(Document& doc, const std::string& assignment);

// Deep merge: maps merge key by key, anything else (scalars, lists) in `over` replaces `base`.
void merge_into(YAML::Node& base, const YAML::Node& over);

}  // namespace vdf::config
