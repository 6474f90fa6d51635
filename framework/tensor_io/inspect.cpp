#include "framework/tensor_io/inspect.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "framework/core/error.h"
#include "framework/tensor_io/pth.h"
#include "framework/tensor_io/safetensors.h"

namespace vdf::tensor_io {

namespace {

bool starts_with_magic(const std::filesystem::path& path, const std::string& magic) {
  std::ifstream in(path, std::ios::binary);
  std::string head(magic.size(), '\0');
  return in.read(head.data(), static_cast<std::streamsize>(head.size())) && head == magic;
}

class SafetensorsInspector : public Inspector {
 public:
  std::string kind() const override { return "safetensors"; }
  bool accepts(const std::filesystem::path& path) const override { return path.extension() == ".safetensors"; }
  void run(const std::filesystem::path& path, bool json, std::ostream& out) const override {
    auto file = SafetensorsFile::open(path);
    InspectReport r;
    r.kind = kind();
    r.path = path.string();
    r.file_bytes = std::filesystem::file_size(path);
    for (const auto& info : file.infos()) r.tensors.push_back({info.name, info.dtype, info.shape, info.end - info.begin});
    r.metadata = file.metadata();
    print_tensor_report(r, json, out);
  }
};

class PthInspector : public Inspector {
 public:
  std::string kind() const override { return "pytorch-zip"; }
  bool accepts(const std::filesystem::path& path) const override {
    auto ext = path.extension();
    return ext == ".pth" || ext == ".pt" || ext == ".bin" || ext == ".ckpt" || starts_with_magic(path, "PK\x03\x04");
  }
  void run(const std::filesystem::path& path, bool json, std::ostream& out) const override {
    InspectReport r;
    r.kind = kind();
    r.path = path.string();
    r.file_bytes = std::filesystem::file_size(path);
    for (const auto& [name, t] : load_pth(path))
      r.tensors.push_back({name.empty() ? "(tensor)" : name, dtype_to_safetensors(t.scalar_type()), t.sizes().vec(),
                           static_cast<uint64_t>(t.numel()) * t.element_size()});
    print_tensor_report(r, json, out);
  }
};

std::vector<std::unique_ptr<Inspector>>& registry() {
  static std::vector<std::unique_ptr<Inspector>> list = [] {
    std::vector<std::unique_ptr<Inspector>> v;
    v.push_back(std::make_unique<SafetensorsInspector>());
    v.push_back(std::make_unique<PthInspector>());
    return v;
  }();
  return list;
}

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace

void register_inspector(std::unique_ptr<Inspector> inspector) { registry().push_back(std::move(inspector)); }
const std::vector<std::unique_ptr<Inspector>>& inspectors() { return registry(); }

const Inspector& inspector_for(const std::filesystem::path& path) {
  VDF_CHECK(std::filesystem::exists(path), "inspect: '{}' does not exist", path.string());
  std::vector<std::string> kinds;
  for (const auto& i : registry()) {
    if (i->accepts(path)) return *i;
    kinds.push_back(i->kind());
  }
  fail("inspect: no inspector accepts '{}' (known kinds: {})", path.string(), fmt::join(kinds, ", "));
}

void print_tensor_report(const InspectReport& r, bool json, std::ostream& out) {
  uint64_t total_bytes = 0, total_elements = 0;
  for (const auto& t : r.tensors) {
    total_bytes += t.bytes;
    uint64_t n = 1;
    for (auto d : t.shape) n *= static_cast<uint64_t>(d);
    total_elements += n;
  }
  if (json) {
    nlohmann::ordered_json j;
    j["kind"] = r.kind;
    j["path"] = r.path;
    j["file_bytes"] = r.file_bytes;
    j["tensor_count"] = r.tensors.size();
    j["total_bytes"] = total_bytes;
    j["total_elements"] = total_elements;
    j["tensors"] = nlohmann::ordered_json::array();
    for (const auto& t : r.tensors)
      j["tensors"].push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}, {"bytes", t.bytes}});
    j["metadata"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : r.metadata) j["metadata"][k] = v;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  size_t width = 4;
  for (const auto& t : r.tensors) width = std::max(width, t.name.size());
  width = std::min<size_t>(width, 80);
  out << fmt::format("{} ({}, {})\n", r.path, r.kind, human_bytes(r.file_bytes));
  out << fmt::format("{:<{}}  {:<5}  {:<22}  {:>12}\n", "name", width, "dtype", "shape", "bytes");
  for (const auto& t : r.tensors)
    out << fmt::format("{:<{}}  {:<5}  {:<22}  {:>12}\n", t.name, width, t.dtype, fmt::format("[{}]", fmt::join(t.shape, ", ")),
                       t.bytes);
  out << fmt::format("{} tensors, {} elements, {} bytes ({})\n", r.tensors.size(), total_elements, total_bytes,
                     human_bytes(total_bytes));
  if (!r.metadata.empty()) {
    out << "metadata:\n";
    for (const auto& [k, v] : r.metadata) {
      std::string shown = v.size() > 200 ? v.substr(0, 200) + "..." : v;
      out << "  " << k << ": " << shown << "\n";
    }
  }
}

}  // namespace vdf::tensor_io
