#include "framework/tensor_io/pth.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "framework/core/error.h"
#include "framework/tensor_io/pickle.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/zip_reader.h"

namespace vdf::tensor_io {

namespace {

NamedTensors load_from_memory(const uint8_t* data, size_t size, const std::string& name) {
  ZipReader zip(data, size, name);
  // The pickle: "<prefix>/data.pkl" (prefix = archive name chosen by torch.save).
  const ZipEntry* pkl = nullptr;
  for (const auto& e : zip.entries()) {
    const std::string suffix = "data.pkl";
    if (e.name.size() >= suffix.size() && e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (e.name.size() == suffix.size() || e.name[e.name.size() - suffix.size() - 1] == '/')) {
      pkl = &e;
      break;
    }
  }
  VDF_CHECK(pkl, "'{}': no data.pkl in the archive (not a PyTorch zip checkpoint; legacy non-zip .pth files "
                 "are not supported, re-save with a current torch.save)", name);
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - 8);
  if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
    std::string scratch;
    auto order = zip.read(*bo, scratch);
    VDF_CHECK(order == "little", "'{}': byteorder '{}' is not supported (only little-endian)", name,
              std::string(order.substr(0, 16)));
  }
  // Storages are read when a tensor first uses them (checked against their archive entry).
  std::map<std::string, torch::Tensor> storages;
  auto load_storage = [&](const std::string& key, const std::string& dtype_name, size_t itemsize, int64_t numel) {
    const std::string entry_name = prefix + "data/" + key;
    const ZipEntry* e = zip.find(entry_name);
    VDF_CHECK(e, "storage '{}' has no archive entry '{}'", key, entry_name);
    uint64_t nbytes;
    VDF_CHECK(!__builtin_mul_overflow(static_cast<uint64_t>(numel), static_cast<uint64_t>(itemsize), &nbytes) &&
                  nbytes <= e->size,
              "storage '{}' claims {} elements of {} bytes but '{}' holds {} bytes", key, numel, itemsize, entry_name,
              e->size);
    const auto dtype = dtype_from_safetensors(dtype_name);
    std::string scratch;
    auto bytes = zip.read(*e, scratch);
    auto t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (nbytes) std::memcpy(t.data_ptr(), bytes.data(), nbytes);
    if (dtype == torch::kBool) {
      const uint8_t* p = static_cast<const uint8_t*>(t.data_ptr());
      for (uint64_t k = 0; k < nbytes; ++k) VDF_CHECK(p[k] <= 1, "bool storage '{}' holds byte {}", key, p[k]);
    }
    storages[key] = t;
  };
  std::string scratch;
  auto pickle = zip.read(*pkl, scratch);
  auto refs = with_context(fmt::format("'{}'", name), [&] { return read_tensor_pickle(pickle, pkl->name, load_storage); });
  NamedTensors out;
  out.reserve(refs.size());
  for (const auto& [key, r] : refs) {
    const torch::Tensor& storage = storages.at(r.storage);
    const bool empty = std::find(r.sizes.begin(), r.sizes.end(), 0) != r.sizes.end();
    out.emplace_back(key, empty ? torch::empty(r.sizes, storage.options())
                                : storage.as_strided(r.sizes, r.strides, r.offset).contiguous());
  }
  return out;
}

}  // namespace

NamedTensors load_pth_bytes(const std::string& bytes, const std::string& name) {
  return load_from_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
}

NamedTensors load_pth(const std::filesystem::path& path) {
  const std::string name = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("'{}': cannot open: {}", name, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("'{}': not a regular file", name);
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    fail("zip '{}': file is empty", name);
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (m == MAP_FAILED) fail("'{}': mmap failed: {}", name, std::strerror(err));
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{m, size};
  return load_from_memory(static_cast<const uint8_t*>(m), size, name);
}

bool is_zip_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, 4)) return false;
  return std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

}  // namespace vdf::tensor_io
