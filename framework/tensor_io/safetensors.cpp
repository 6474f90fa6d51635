#include "framework/tensor_io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/tensor_io/safetensors_header.h"

namespace vdf::tensor_io {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian; vdf assumes an LE host");

torch::ScalarType dtype_from_safetensors(const std::string& name) {
  if (name == "F64") return torch::kFloat64;
  if (name == "F32") return torch::kFloat32;
  if (name == "F16") return torch::kFloat16;
  if (name == "BF16") return torch::kBFloat16;
  if (name == "I64") return torch::kInt64;
  if (name == "I32") return torch::kInt32;
  if (name == "I16") return torch::kInt16;
  if (name == "I8") return torch::kInt8;
  if (name == "U8") return torch::kUInt8;
  if (name == "BOOL") return torch::kBool;
  fail("unsupported safetensors dtype '{}' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)", name);
}

std::string dtype_to_safetensors(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return "F64";
    case torch::kFloat32: return "F32";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kInt16: return "I16";
    case torch::kInt8: return "I8";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: fail("dtype {} cannot be stored in safetensors", c10::toString(type));
  }
}

struct SafetensorsFile::Impl {
  std::string path;
  std::string owned;  // from_bytes: the bytes themselves
  void* map = nullptr;
  size_t map_size = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
  ParsedHeader header;
  std::map<std::string, size_t> index;  // name -> position in header.infos

  ~Impl() {
    if (map) ::munmap(map, map_size);
  }

  void parse() {
    header = parse_safetensors_header(data, size, path);
    for (size_t i = 0; i < header.infos.size(); ++i) index[header.infos[i].name] = i;
  }

  const TensorInfo& find(const std::string& key) const {
    auto it = index.find(key);
    if (it == index.end()) fail("safetensors '{}': no tensor named '{}'", path, key);
    return header.infos[it->second];
  }

  const uint8_t* bytes_of(const TensorInfo& info) const { return data + header.data_start + info.begin; }

  void check_bool(const TensorInfo& info) const {
    if (info.dtype != "BOOL") return;
    const uint8_t* p = bytes_of(info);
    for (uint64_t i = 0; i < info.end - info.begin; ++i)
      VDF_CHECK(p[i] <= 1, "safetensors '{}': tensor '{}': BOOL element {} has byte value {} (must be 0 or 1)", path,
                info.name, i, static_cast<int>(p[i]));
  }
};

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("safetensors '{}': cannot open: {}", impl->path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("safetensors '{}': not a regular file", impl->path);
  }
  impl->size = static_cast<size_t>(st.st_size);
  if (impl->size > 0) {
    // Private writable mapping: tensor_view() results may be written to without touching the file
    // (copy-on-write) and without faulting.
    void* m = ::mmap(nullptr, impl->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      fail("safetensors '{}': mmap failed: {}", impl->path, std::strerror(err));
    }
    impl->map = m;
    impl->map_size = impl->size;
    impl->data = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  static const uint8_t empty[1] = {0};
  if (!impl->data) impl->data = empty;
  impl->parse();
  return SafetensorsFile(std::move(impl));
}

SafetensorsFile SafetensorsFile::from_bytes(std::string bytes, const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->path = name;
  impl->owned = std::move(bytes);
  impl->data = reinterpret_cast<const uint8_t*>(impl->owned.data());
  impl->size = impl->owned.size();
  impl->parse();
  return SafetensorsFile(std::move(impl));
}

const std::vector<TensorInfo>& SafetensorsFile::infos() const { return impl_->header.infos; }

std::vector<std::string> SafetensorsFile::keys() const {
  std::vector<std::string> out;
  out.reserve(impl_->index.size());
  for (const auto& [k, unused] : impl_->index) out.push_back(k);
  return out;
}

bool SafetensorsFile::contains(const std::string& key) const { return impl_->index.count(key) != 0; }
const TensorInfo& SafetensorsFile::info(const std::string& key) const { return impl_->find(key); }
const Metadata& SafetensorsFile::metadata() const { return impl_->header.metadata; }
const std::string& SafetensorsFile::path() const { return impl_->path; }

torch::Tensor SafetensorsFile::tensor(const std::string& key) const {
  const TensorInfo& info = impl_->find(key);
  impl_->check_bool(info);
  auto t = torch::empty(info.shape, torch::TensorOptions().dtype(dtype_from_safetensors(info.dtype)));
  if (info.end > info.begin) std::memcpy(t.data_ptr(), impl_->bytes_of(info), info.end - info.begin);
  return t;
}

torch::Tensor SafetensorsFile::tensor_view(const std::string& key) const {
  const TensorInfo& info = impl_->find(key);
  const uint8_t* p = impl_->bytes_of(info);
  size_t itemsize = safetensors_itemsize(info.dtype);
  // Misaligned data (header length not a multiple of 8) or empty tensors: return a copy instead.
  if (info.end == info.begin || reinterpret_cast<uintptr_t>(p) % itemsize != 0) return tensor(key);
  impl_->check_bool(info);
  return torch::from_blob(const_cast<uint8_t*>(p), info.shape,
                          torch::TensorOptions().dtype(dtype_from_safetensors(info.dtype)));
}

TensorMap SafetensorsFile::all() const {
  TensorMap out;
  for (const auto& info : impl_->header.infos) out.emplace(info.name, tensor(info.name));
  return out;
}

TensorMap load_safetensors(const std::filesystem::path& path, Metadata* metadata) {
  auto file = SafetensorsFile::open(path);
  if (metadata) *metadata = file.metadata();
  return file.all();
}

std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata) {
  std::vector<torch::Tensor> data;
  data.reserve(tensors.size());
  std::string json = "{";
  bool first = true;
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool mfirst = true;
    for (const auto& [k, v] : metadata) {
      if (!mfirst) json += ',';
      mfirst = false;
      json += json_quote(k, fmt::format("safetensors metadata '{}'", k)) + ':' +
              json_quote(v, fmt::format("safetensors metadata '{}'", k));
    }
    json += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    VDF_CHECK(!name.empty(), "safetensors: a tensor has an empty name");
    VDF_CHECK(name != "__metadata__", "safetensors: '__metadata__' cannot be a tensor name");
    const std::string quoted_name = json_quote(name, fmt::format("safetensors: tensor name '{}'", name));
    VDF_CHECK(tensor.defined(), "safetensors: tensor '{}' is undefined", name);
    auto t = tensor.detach().to(torch::kCPU).contiguous();
    std::string dtype = with_context(fmt::format("safetensors: tensor '{}'", name),
                                     [&] { return dtype_to_safetensors(t.scalar_type()); });
    uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    if (!first) json += ',';
    first = false;
    json += quoted_name + ":{\"dtype\":\"" + dtype + "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) json += (d ? "," : "") + std::to_string(t.size(d));
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
    data.push_back(t);
  }
  json += '}';
  while (json.size() % 8 != 0) json += ' ';
  std::string out;
  out.reserve(8 + json.size() + offset);
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += json;
  for (const auto& t : data)
    if (t.numel() > 0) out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * t.element_size());
  return out;
}

void save_safetensors(const std::filesystem::path& path, const TensorMap& tensors, const Metadata& metadata) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

}  // namespace vdf::tensor_io
