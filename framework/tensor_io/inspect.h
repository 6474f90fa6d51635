// `vdf inspect FILE`: a registry of inspectors, one per file kind. Built in: safetensors, PyTorch zip
// (.pth/.pt/.bin). Later work adds kinds (HDF5 shards, ...) by registering an Inspector:
//
//   class H5Inspector : public vdf::tensor_io::Inspector {
//     std::string kind() const override { return "hdf5"; }
//     bool accepts(const std::filesystem::path& p) const override { /* extension or magic */ }
//     void run(const std::filesystem::path& p, bool json, std::ostream& out) const override {
//       print_tensor_report(report, json, out);   // or any other text / JSON
//     }
//   };
//   VDF_REGISTER_INSPECTOR(H5Inspector);
//
// Put the registration in a source file that is linked into the program for sure (a file of
// tools/vdf/, or a framework file that the program already references): static registrars in an
// unreferenced object file of a static library are dropped by the linker. The first inspector whose
// accepts() is true wins; registration order is kept, built-ins come first.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace vdf::tensor_io {

class Inspector {
 public:
  virtual ~Inspector() = default;
  virtual std::string kind() const = 0;
  virtual bool accepts(const std::filesystem::path& path) const = 0;
  // Prints the description of the file (human text, or one JSON document when `json`). Throws
  // vdf::Error on a bad file.
  virtual void run(const std::filesystem::path& path, bool json, std::ostream& out) const = 0;
};

void register_inspector(std::unique_ptr<Inspector> inspector);
const std::vector<std::unique_ptr<Inspector>>& inspectors();
// The inspector for `path`; throws vdf::Error listing the known kinds when none accepts it.
const Inspector& inspector_for(const std::filesystem::path& path);

// A generic listing of tensors, shared by inspectors.
struct InspectTensor {
  std::string name;
  std::string dtype;  // safetensors names (F32, BF16, U8, ...)
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
};
struct InspectReport {
  std::string kind;
  std::string path;
  uint64_t file_bytes = 0;
  std::vector<InspectTensor> tensors;
  std::map<std::string, std::string> metadata;
};
// Text: one line per tensor (name, dtype, shape, bytes), then totals and metadata. JSON: an object
// {"kind","path","file_bytes","tensor_count","total_bytes","total_elements","tensors":[...],"metadata":{}}.
void print_tensor_report(const InspectReport& report, bool json, std::ostream& out);

}  // namespace vdf::tensor_io

#define VDF_REGISTER_INSPECTOR(cls)                                                          \
  static const bool vdf_inspector_registered_##cls = [] {                                   \
    ::vdf::tensor_io::register_inspector(std::make_unique<cls>());                          \
    return true;                                                                            \
  }()
