#include "eval/util/st_lite.h"

#include <nlohmann/json.hpp>

#include <cstring>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"

namespace vdf::eval::st_lite {
namespace {

torch::ScalarType dtype_of(const std::string& s, const std::string& file) {
  if (s == "F32") return torch::kFloat32;
  if (s == "F64") return torch::kFloat64;
  if (s == "F16") return torch::kFloat16;
  if (s == "BF16") return torch::kBFloat16;
  if (s == "I64") return torch::kInt64;
  if (s == "I32") return torch::kInt32;
  if (s == "I16") return torch::kInt16;
  if (s == "I8") return torch::kInt8;
  if (s == "U8") return torch::kUInt8;
  if (s == "BOOL") return torch::kBool;
  fail("'{}': unsupported safetensors dtype '{}'", file, s);
}

std::string name_of(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "F32";
    case torch::kFloat64: return "F64";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kInt16: return "I16";
    case torch::kInt8: return "I8";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: fail("safetensors: unsupported tensor dtype {}", c10::toString(t));
  }
}

}  // namespace

TensorMap load(const std::filesystem::path& path, Metadata* metadata) {
  const std::string bytes = read_file(path);
  const std::string file = path.string();
  VDF_CHECK(bytes.size() >= 8, "'{}': not a safetensors file (shorter than 8 bytes)", file);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  VDF_CHECK(n <= bytes.size() - 8, "'{}': header length {} exceeds the file size", file, n);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, n));
  } catch (const std::exception& e) {
    fail("'{}': bad safetensors header: {}", file, e.what());
  }
  const size_t data_start = 8 + n;
  const size_t data_size = bytes.size() - data_start;
  TensorMap out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (metadata)
        for (auto m = it.value().begin(); m != it.value().end(); ++m) (*metadata)[m.key()] = m.value().get<std::string>();
      continue;
    }
    const auto& info = it.value();
    const auto type = dtype_of(info.at("dtype").get<std::string>(), file);
    std::vector<int64_t> shape = info.at("shape").get<std::vector<int64_t>>();
    const auto offs = info.at("data_offsets").get<std::vector<uint64_t>>();
    VDF_CHECK(offs.size() == 2 && offs[0] <= offs[1] && offs[1] <= data_size,
              "'{}': tensor '{}' has bad data_offsets", file, it.key());
    int64_t numel = 1;
    for (auto s : shape) {
      VDF_CHECK(s >= 0, "'{}': tensor '{}' has a negative dimension", file, it.key());
      numel *= s;
    }
    auto t = torch::empty(shape, torch::TensorOptions().dtype(type));
    VDF_CHECK(static_cast<uint64_t>(numel) * t.element_size() == offs[1] - offs[0],
              "'{}': tensor '{}' size does not match its shape", file, it.key());
    if (numel) std::memcpy(t.data_ptr(), bytes.data() + data_start + offs[0], offs[1] - offs[0]);
    out[it.key()] = t;
  }
  return out;
}

void save(const std::filesystem::path& path, const TensorMap& tensors, const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  std::vector<torch::Tensor> keep;
  for (const auto& [name, t0] : tensors) {
    auto t = t0.detach().to(torch::kCPU).contiguous();
    const size_t nbytes = t.numel() * t.element_size();
    header[name] = {{"dtype", name_of(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {data.size(), data.size() + nbytes}}};
    data.append(static_cast<const char*>(t.data_ptr()), nbytes);
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string h = header.dump();
  while ((h.size() + 8) % 8) h.push_back(' ');
  uint64_t n = h.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &n, 8);
  bytes += h;
  bytes += data;
  write_file_atomic(path, bytes);
}

}  // namespace vdf::eval::st_lite
