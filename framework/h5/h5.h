// Thin RAII layer over the HDF5 C API (compiled only with HDF5). One handle type per HDF5 id kind, each
// closing with its own function (H5Fclose, H5Gclose, ...), in the spirit of one unique_ptr deleter per C
// handle. Every call is checked: failures throw vdf::Error naming the operation, the object path and the
// HDF5 error-stack text. Tensors cross this boundary as contiguous CPU tensors; float16 and bfloat16 are
// stored as 16-bit HDF5 float types (h5py reads the float16 one as numpy float16).
#pragma once
#include <hdf5.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace vdf::h5 {

// An owned HDF5 id closed by `Close`. Move-only.
template <herr_t (*Close)(hid_t)>
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { reset(); }
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileId = Id<H5Fclose>;
using GroupId = Id<H5Gclose>;
using DatasetId = Id<H5Dclose>;
using DataspaceId = Id<H5Sclose>;
using DatatypeId = Id<H5Tclose>;
using PropListId = Id<H5Pclose>;
using AttributeId = Id<H5Aclose>;

// Throws vdf::Error "<what>: <HDF5 error stack>" when `status` < 0; returns it otherwise.
hid_t check(hid_t status, const std::string& what);

// Files. create() truncates; open() is read-only unless `writable`.
FileId create_file(const std::filesystem::path& path);
FileId open_file(const std::filesystem::path& path, bool writable = false);
void flush(hid_t file);

// Groups and links.
GroupId create_group(hid_t loc, const std::string& name);
GroupId open_group(hid_t loc, const std::string& name);
bool exists(hid_t loc, const std::string& path);  // every component of a '/'-path
std::vector<std::string> list_members(hid_t group);  // names in ascending order
void hard_link(hid_t loc, const std::string& target, const std::string& link_name);

// Datasets from tensors (any of f16, bf16, f32, f64, i64, i32, u8, bool). With `chunked` the whole
// dataset is one chunk (per-sample chunking); `gzip_level` > 0 adds shuffle + deflate (needs chunked).
struct DatasetOptions {
  bool chunked = false;
  int gzip_level = 0;
};
void write_tensor(hid_t loc, const std::string& name, const torch::Tensor& tensor, const DatasetOptions& options = {});
torch::Tensor read_tensor(hid_t loc, const std::string& name);
std::vector<int64_t> dataset_shape(hid_t loc, const std::string& name);
torch::ScalarType dataset_dtype(hid_t loc, const std::string& name);
// Bytes the dataset occupies in the file (after compression).
uint64_t dataset_storage_bytes(hid_t loc, const std::string& name);

// Variable-length UTF-8 string datasets (1-D).
void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t loc, const std::string& name);

// Scalar attributes on any object (file, group, dataset).
void set_attr(hid_t obj, const std::string& name, const std::string& value);
void set_attr(hid_t obj, const std::string& name, int64_t value);
void set_attr(hid_t obj, const std::string& name, double value);
inline void set_attr(hid_t obj, const std::string& name, const char* value) { set_attr(obj, name, std::string(value)); }
inline void set_attr(hid_t obj, const std::string& name, int value) { set_attr(obj, name, int64_t(value)); }
bool has_attr(hid_t obj, const std::string& name);
std::string attr_string(hid_t obj, const std::string& name);  // throws naming the attribute when absent
int64_t attr_int(hid_t obj, const std::string& name);
double attr_double(hid_t obj, const std::string& name);
std::vector<std::string> attr_names(hid_t obj);

// The 16-bit float types used on disk (owned by the library; do not close).
hid_t float16_type();
hid_t bfloat16_type();

}  // namespace vdf::h5
