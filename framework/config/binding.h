// Typed config binding. A config struct lists its fields once, in a visit() template:
//
//   struct OptimConfig {
//     double lr = 1e-4;                 // defaults live in the struct
//     std::vector<int> buckets{1, 16};
//     template <class V> void visit(V& v) {
//       v("lr", lr, "peak learning rate");
//       v("buckets", buckets, "frames per bucket");
//     }
//     void validate(const Check& c) const { c.require(lr > 0, "lr", lr, "a positive number"); }
//   };
//
// and the same list drives reading YAML (type-checked, unknown keys rejected with file:line and a
// suggestion), writing YAML back, and describing the schema (`vdf config --schema`).
// Supported field types: bool, int, int64_t, double, std::string, std::vector<T> of those or of
// structs, and nested structs with visit().
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "framework/config/document.h"
#include "framework/core/error.h"

namespace vdf::config {

template <typename T, typename = void>
struct is_section : std::false_type {};
template <typename T>
struct is_section<T, std::void_t<decltype(std::declval<T&>().template visit<int>(std::declval<int&>()))>>
    : std::true_type {};

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

// ---- choices --------------------------------------------------------------------------------------
// A choice is an enum class with a name table declared next to it (same namespace):
//
//   enum class Sampler { euler, ddim, dpmpp2m };
//   VDF_CONFIG_ENUM(Sampler, {Sampler::euler, "euler"}, {Sampler::ddim, "ddim"}, {Sampler::dpmpp2m, "dpmpp2m"})
//
// Reading accepts only the names (anything else is a load-time error naming the file:line and the
// allowed names), writing and `vdf config --schema` use them, and code switches on the enum.
template <typename E>
using EnumTable = std::vector<std::pair<E, const char*>>;

template <typename T, typename = void>
struct is_choice : std::false_type {};
template <typename T>
struct is_choice<T, std::void_t<decltype(vdf_config_enum_table(std::declval<T>()))>> : std::true_type {};

template <typename E>
const EnumTable<E>& enum_table() {
  static_assert(is_choice<E>::value, "no VDF_CONFIG_ENUM for this type");
  return vdf_config_enum_table(E{});
}
template <typename E>
std::string enum_name(E value) {
  for (const auto& [e, name] : enum_table<E>())
    if (e == value) return name;
  return "<invalid " + std::to_string(static_cast<long long>(value)) + ">";
}
template <typename E>
bool parse_enum(const std::string& text, E* out) {
  for (const auto& [e, name] : enum_table<E>())
    if (text == name) return *out = e, true;
  return false;
}
// The allowed names joined by `sep`, e.g. "euler | ddim | dpmpp2m".
template <typename E>
std::string enum_names(const std::string& sep = " | ") {
  std::string out;
  for (const auto& [e, name] : enum_table<E>()) out += (out.empty() ? "" : sep) + std::string(name);
  return out;
}
// Parses a name or fails naming `what` and the allowed names (for choices given outside a config file).
template <typename E>
E parse_enum_or_fail(const std::string& text, const std::string& what) {
  E e{};
  if (!parse_enum(text, &e)) fail("{} '{}': expected one of {}", what, text, enum_names<E>(", "));
  return e;
}

#define VDF_CONFIG_ENUM(E, ...)                                                  \
  inline const ::vdf::config::EnumTable<E>& vdf_config_enum_table(E) {           \
    static const ::vdf::config::EnumTable<E> table{__VA_ARGS__};                 \
    return table;                                                                \
  }                                                                              \
  inline std::string format_as(E value) { return ::vdf::config::enum_name(value); }

template <typename T>
std::string type_name() {
  if constexpr (is_choice<T>::value) return enum_names<T>(" | ");
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_integral_v<T>) return "integer";
  else if constexpr (std::is_floating_point_v<T>) return "float";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (is_vector<T>::value) return "list of " + type_name<typename T::value_type>();
  else return "section";
}

// " (file:line)" of a key path, or of its nearest recorded ancestor (list elements, sections set as a
// whole); "" when the document never set it or there is no document.
std::string key_location(const Document* doc, const std::string& key_path);

// Validation helper handed to validate(): knows the key prefix of the section it checks and the
// document the values came from, so a failed check names the file and line of the offending key.
class Check {
 public:
  explicit Check(std::string prefix, const Document* doc = nullptr) : prefix_(std::move(prefix)), doc_(doc) {}
  std::string key(const std::string& name) const { return prefix_.empty() ? name : prefix_ + "." + name; }
  Check sub(const std::string& name) const { return Check(key(name), doc_); }
  template <typename T>
  void require(bool ok, const std::string& name, const T& value, const std::string& expected) const {
    if (!ok) fail("config key '{}'{} = {}: expected {}", key(name), location(name), show(value), expected);
  }
  // " (file:line)" where the key was set, " (default)" when no file or override set it.
  std::string location(const std::string& name) const {
    if (!doc_) return "";
    const std::string at = key_location(doc_, key(name));
    return at.empty() ? " (default)" : at;
  }
  template <typename T>
  static std::string show(const T& value) {
    std::ostringstream os;
    if constexpr (is_vector<T>::value) {
      os << "[";
      for (size_t i = 0; i < value.size(); ++i) os << (i ? ", " : "") << show(value[i]);
      os << "]";
    } else if constexpr (std::is_same_v<T, std::string>) {
      os << "'" << value << "'";
    } else if constexpr (is_choice<T>::value) {
      os << "'" << enum_name(value) << "'";
    } else if constexpr (std::is_same_v<T, bool>) {
      os << (value ? "true" : "false");
    } else {
      os << value;
    }
    return os.str();
  }

 private:
  std::string prefix_;
  const Document* doc_;
};

// A kind-specific key or section: visited with a fourth argument saying whether it applies to the
// chosen kind (the kind is visited first, so it is already read) and which sibling key chooses the kind:
//
//   v("kind", kind, "taef2 | taehv");
//   v("taehv", taehv, "taehv-only settings", When{kind == VaeKind::taehv, "vae.kind is taehv", "kind"});
//
// Setting a key that does not apply is an error (file:line and the condition), unless a later layer
// (a file that inherits it with _base_, or a command-line override) changed the kind: then the keys of
// the old kind are dropped. The resolved YAML leaves such keys out; the schema lists them all.
struct When {
  bool applies;
  const char* condition;
  const char* kind_key = nullptr;  // sibling key that chooses the kind
};

// Closest known key by edit distance, for "did you mean" hints; empty when nothing is close.
std::string closest_key(const std::string& key, const std::vector<std::string>& known);

// ---- reading ------------------------------------------------------------------------------------
class Reader {
 public:
  Reader(const YAML::Node& node, std::string prefix, const Document* doc)
      : node_(node), prefix_(std::move(prefix)), doc_(doc) {}

  template <typename T>
  void operator()(const char* key, T& field, const char* /*help*/ = "") {
    known_.push_back(key);
    if (!node_.IsMap()) return;
    const YAML::Node value = node_[key];
    if (!value) return;  // keep the default
    read_value(value, path(key), field);
  }

  template <typename T>
  void operator()(const char* key, T& field, const char* help, When when) {
    if (!when.applies && node_.IsMap() && node_[key]) {
      known_.push_back(key);
      if (!kind_changed_later(path(key), when)) not_applicable(path(key), when);
      return;  // keys of a kind a later layer switched away from are dropped
    }
    (*this)(key, field, help);
  }

  // After visiting: any key present in YAML but not in the struct is an error.
  void reject_unknown() const;

  template <typename T>
  void read_value(const YAML::Node& value, const std::string& key_path, T& field) const {
    if constexpr (is_section<T>::value) {
      if (value.IsNull()) return;
      if (!value.IsMap()) type_error(key_path, value, "a section (mapping of keys)");
      Reader child(value, key_path, doc_);
      field.visit(child);
      child.reject_unknown();
    } else if constexpr (is_vector<T>::value) {
      using E = typename T::value_type;
      if (!value.IsSequence()) type_error(key_path, value, type_name<T>());
      T out;
      for (size_t i = 0; i < value.size(); ++i) {
        E element{};
        read_value(value[i], key_path + "[" + std::to_string(i) + "]", element);
        out.push_back(std::move(element));
      }
      field = std::move(out);
    } else {
      if (!value.IsScalar()) type_error(key_path, value, type_name<T>());
      field = convert_scalar<T>(value, key_path);
    }
  }

 private:
  std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  [[noreturn]] void not_applicable(const std::string& key_path, const When& when) const;
  bool kind_changed_later(const std::string& key_path, const When& when) const;
  [[noreturn]] void type_error(const std::string& key_path, const YAML::Node& value,
                               const std::string& expected) const;
  template <typename T>
  T convert_scalar(const YAML::Node& value, const std::string& key_path) const;

  YAML::Node node_;
  std::string prefix_;
  const Document* doc_;
  std::vector<std::string> known_;
};

bool parse_bool(const std::string& text, bool* out);
bool parse_int64(const std::string& text, int64_t* out);
bool parse_double(const std::string& text, double* out);

template <typename T>
T Reader::convert_scalar(const YAML::Node& value, const std::string& key_path) const {
  const std::string text = value.Scalar();
  if constexpr (is_choice<T>::value) {
    T e{};
    if (!parse_enum(text, &e)) type_error(key_path, value, "one of " + enum_names<T>(", "));
    return e;
  } else if constexpr (std::is_same_v<T, bool>) {
    bool b;
    if (!parse_bool(text, &b)) type_error(key_path, value, "bool (true or false)");
    return b;
  } else if constexpr (std::is_integral_v<T>) {
    int64_t v;
    if (!parse_int64(text, &v)) type_error(key_path, value, "integer");
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        v > static_cast<int64_t>(std::numeric_limits<T>::max()))
      type_error(key_path, value, "integer in range");
    return static_cast<T>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    double v;
    if (!parse_double(text, &v)) type_error(key_path, value, "float");
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return text;
  } else {
    static_assert(sizeof(T) == 0, "unsupported config field type");
  }
}

// ---- writing ------------------------------------------------------------------------------------
class Writer {
 public:
  template <typename T>
  void operator()(const char* key, const T& field, const char* /*help*/ = "") {
    node_[key] = to_node(field);
  }
  template <typename T>
  void operator()(const char* key, const T& field, const char* help, When when) {
    if (when.applies) (*this)(key, field, help);
  }
  template <typename T>
  static YAML::Node to_node(const T& field) {
    if constexpr (is_section<T>::value) {
      Writer child;
      const_cast<T&>(field).visit(child);
      return child.node_;
    } else if constexpr (is_vector<T>::value) {
      YAML::Node seq(YAML::NodeType::Sequence);
      for (const auto& e : field) seq.push_back(to_node(e));
      return seq;
    } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
      return YAML::Node(format_double(field));
    } else if constexpr (is_choice<T>::value) {
      return YAML::Node(enum_name(field));
    } else {
      return YAML::Node(field);
    }
  }
  static std::string format_double(double v);  // shortest text that reads back to the same double
  YAML::Node node_ = YAML::Node(YAML::NodeType::Map);
};

// ---- describing ---------------------------------------------------------------------------------
struct FieldInfo {
  std::string key, type, default_value, help;
};
class Describer {
 public:
  explicit Describer(std::string prefix = "") : prefix_(std::move(prefix)) {}
  template <typename T>
  void operator()(const char* key, const T& field, const char* help = "") {
    std::string path = prefix_.empty() ? key : prefix_ + "." + key;
    if constexpr (is_section<T>::value) {
      Describer child(path);
      const_cast<T&>(field).visit(child);
      fields.insert(fields.end(), child.fields.begin(), child.fields.end());
    } else {
      YAML::Emitter em;
      em << YAML::Flow << Writer::to_node(field);
      fields.push_back({path, type_name<T>(), em.c_str(), help});
    }
  }
  template <typename T>
  void operator()(const char* key, const T& field, const char* help, When when) {
    const size_t first = fields.size();
    (*this)(key, field, help);
    for (size_t i = first; i < fields.size(); ++i) fields[i].help += std::string(" (only when ") + when.condition + ")";
  }
  std::vector<FieldInfo> fields;

 private:
  std::string prefix_;
};

// ---- validating a root that only lists sections --------------------------------------------------
// Calls validate() of every section of a struct with the section's key, e.g. the program's root config:
//   void validate(const Check& c) const { validate_sections(*this, c); }
class SectionValidator {
 public:
  explicit SectionValidator(const Check& check) : check_(check) {}
  template <typename T>
  void operator()(const char* key, const T& field, const char* /*help*/ = "") {
    if constexpr (is_section<T>::value) field.validate(check_.sub(key));
  }

 private:
  const Check& check_;
};
template <typename Root>
void validate_sections(const Root& root, const Check& c) {
  SectionValidator v(c);
  const_cast<Root&>(root).visit(v);
}

// ---- entry points -------------------------------------------------------------------------------
template <typename Root>
Root bind(const Document& doc) {
  Root root;
  Reader reader(doc.root, "", &doc);
  root.visit(reader);
  reader.reject_unknown();
  root.validate(Check("", &doc));
  return root;
}

template <typename Root>
std::string to_yaml(const Root& root) {
  Writer w;
  const_cast<Root&>(root).visit(w);
  YAML::Emitter em;
  em << w.node_;
  return std::string(em.c_str()) + "\n";
}

template <typename Root>
std::vector<FieldInfo> describe(const Root& root) {
  Describer d;
  const_cast<Root&>(root).visit(d);
  return d.fields;
}

}  // namespace vdf::config
