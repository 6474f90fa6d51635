#include "framework/h5/h5.h"

#include <fmt/format.h>

#include <mutex>

#include "framework/core/error.h"

namespace vdf::h5 {

namespace {

// Silence HDF5's own printing of error stacks once; errors are reported through vdf::Error.
void quiet_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

herr_t collect(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (!out->empty()) out->append("; ");
  out->append(err->desc ? err->desc : "?");
  if (err->func_name) out->append(fmt::format(" (in {})", err->func_name));
  return n >= 3 ? 1 : 0;  // the innermost few entries are the informative ones
}

std::string error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? "unknown HDF5 error" : text;
}

DatatypeId make_float16(int exp_bits, int mant_bits, size_t bias) {
  DatatypeId t(check(H5Tcopy(H5T_IEEE_F32LE), "copying float type"));
  // Order matters: shrink fields before shrinking the size.
  check(H5Tset_fields(t.get(), 15, 15 - exp_bits, exp_bits, 0, mant_bits), "setting 16-bit float fields");
  check(H5Tset_size(t.get(), 2), "setting 16-bit float size");
  check(H5Tset_ebias(t.get(), bias), "setting 16-bit float bias");
  check(H5Tset_precision(t.get(), 16), "setting 16-bit float precision");
  return t;
}

hid_t file_type_for(torch::ScalarType s) {
  switch (s) {
    case torch::kFloat16: return float16_type();
    case torch::kBFloat16: return bfloat16_type();
    case torch::kFloat32: return H5T_IEEE_F32LE;
    case torch::kFloat64: return H5T_IEEE_F64LE;
    case torch::kInt64: return H5T_STD_I64LE;
    case torch::kInt32: return H5T_STD_I32LE;
    case torch::kUInt8:
    case torch::kBool: return H5T_STD_U8LE;
    default: fail("HDF5: unsupported tensor dtype {}", c10::toString(s));
  }
}

torch::ScalarType dtype_of_type(hid_t type, const std::string& what) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    if (size == 8) return torch::kFloat64;
    if (size == 4) return torch::kFloat32;
    if (size == 2) {
      size_t spos, epos, esize, mpos, msize;
      check(H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize), what);
      if (esize == 5 && msize == 10) return torch::kFloat16;
      if (esize == 8 && msize == 7) return torch::kBFloat16;
    }
  } else if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 8 && is_signed) return torch::kInt64;
    if (size == 4 && is_signed) return torch::kInt32;
    if (size == 1 && !is_signed) return torch::kUInt8;
  }
  fail("{}: unsupported HDF5 element type (class {}, {} bytes)", what, int(cls), size);
}

DatatypeId vlen_string_type() {
  DatatypeId t(check(H5Tcopy(H5T_C_S1), "copying string type"));
  check(H5Tset_size(t.get(), H5T_VARIABLE), "making string type variable-length");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "setting UTF-8");
  return t;
}

AttributeId open_attr(hid_t obj, const std::string& name) {
  quiet_once();
  const htri_t ex = H5Aexists(obj, name.c_str());
  VDF_CHECK(ex > 0, "HDF5 attribute '{}' is missing", name);
  return AttributeId(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'"));
}

AttributeId create_attr(hid_t obj, const std::string& name, hid_t type) {
  quiet_once();
  if (H5Aexists(obj, name.c_str()) > 0) check(H5Adelete(obj, name.c_str()), "replacing attribute '" + name + "'");
  DataspaceId space(check(H5Screate(H5S_SCALAR), "creating scalar dataspace"));
  return AttributeId(check(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                           "creating attribute '" + name + "'"));
}

}  // namespace

hid_t check(hid_t status, const std::string& what) {
  if (status < 0) fail("{}: {}", what, error_stack());
  return status;
}

hid_t float16_type() {
  static DatatypeId t = make_float16(5, 10, 15);
  return t.get();
}
hid_t bfloat16_type() {
  static DatatypeId t = make_float16(8, 7, 127);
  return t.get();
}

FileId create_file(const std::filesystem::path& path) {
  quiet_once();
  return FileId(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                      "creating HDF5 file '" + path.string() + "'"));
}

FileId open_file(const std::filesystem::path& path, bool writable) {
  quiet_once();
  VDF_CHECK(std::filesystem::exists(path), "HDF5 file '{}' does not exist", path.string());
  VDF_CHECK(H5Fis_hdf5(path.c_str()) > 0, "'{}' is not an HDF5 file", path.string());
  return FileId(check(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT),
                      "opening HDF5 file '" + path.string() + "'"));
}

void flush(hid_t file) { check(H5Fflush(file, H5F_SCOPE_GLOBAL), "flushing HDF5 file"); }

GroupId create_group(hid_t loc, const std::string& name) {
  quiet_once();
  PropListId gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "group property list"));
  check(H5Pset_obj_track_times(gcpl.get(), 0), "disabling time tracking");
  return GroupId(check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                       "creating group '" + name + "'"));
}

GroupId open_group(hid_t loc, const std::string& name) {
  quiet_once();
  VDF_CHECK(exists(loc, name), "HDF5 group '{}' is missing", name);
  return GroupId(check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "opening group '" + name + "'"));
}

bool exists(hid_t loc, const std::string& path) {
  quiet_once();
  std::string prefix;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      prefix += (prefix.empty() ? "" : "/") + path.substr(pos, next - pos);
      if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    pos = next + 1;
  }
  return true;
}

std::vector<std::string> list_members(hid_t group) {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names), "listing group members");
  return names;
}

void hard_link(hid_t loc, const std::string& target, const std::string& link_name) {
  check(H5Lcreate_hard(loc, target.c_str(), loc, link_name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
        "linking '" + link_name + "' to '" + target + "'");
}

void write_tensor(hid_t loc, const std::string& name, const torch::Tensor& tensor, const DatasetOptions& options) {
  quiet_once();
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  if (t.scalar_type() == torch::kBool) t = t.to(torch::kUInt8);
  const hid_t type = file_type_for(t.scalar_type());
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  DataspaceId space(check(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(int(dims.size()), dims.data(), nullptr),
                          "creating dataspace for '" + name + "'"));
  PropListId dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "dataset property list"));
  check(H5Pset_obj_track_times(dcpl.get(), 0), "disabling time tracking");
  const bool can_chunk = !dims.empty() && t.numel() > 0;
  if (options.chunked && can_chunk) {
    check(H5Pset_chunk(dcpl.get(), int(dims.size()), dims.data()), "setting chunk shape of '" + name + "'");
    if (options.gzip_level > 0) {
      check(H5Pset_shuffle(dcpl.get()), "enabling shuffle on '" + name + "'");
      check(H5Pset_deflate(dcpl.get(), unsigned(options.gzip_level)), "enabling deflate on '" + name + "'");
    }
  }
  DatasetId ds(check(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                     "creating dataset '" + name + "'"));
  if (t.numel() > 0)
    check(H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()), "writing dataset '" + name + "'");
}

std::vector<int64_t> dataset_shape(hid_t loc, const std::string& name) {
  quiet_once();
  DatasetId ds(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "opening dataset '" + name + "'"));
  DataspaceId space(check(H5Dget_space(ds.get()), "dataspace of '" + name + "'"));
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "rank of '" + name + "'");
  std::vector<hsize_t> dims(rank);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

torch::ScalarType dataset_dtype(hid_t loc, const std::string& name) {
  quiet_once();
  DatasetId ds(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "opening dataset '" + name + "'"));
  DatatypeId type(check(H5Dget_type(ds.get()), "type of '" + name + "'"));
  return dtype_of_type(type.get(), "dataset '" + name + "'");
}

uint64_t dataset_storage_bytes(hid_t loc, const std::string& name) {
  DatasetId ds(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "opening dataset '" + name + "'"));
  return H5Dget_storage_size(ds.get());
}

torch::Tensor read_tensor(hid_t loc, const std::string& name) {
  quiet_once();
  DatasetId ds(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "opening dataset '" + name + "'"));
  DatatypeId type(check(H5Dget_type(ds.get()), "type of '" + name + "'"));
  const torch::ScalarType dtype = dtype_of_type(type.get(), "dataset '" + name + "'");
  DataspaceId space(check(H5Dget_space(ds.get()), "dataspace of '" + name + "'"));
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "rank of '" + name + "'");
  std::vector<hsize_t> dims(rank);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  torch::Tensor out = torch::empty(std::vector<int64_t>(dims.begin(), dims.end()), torch::dtype(dtype));
  if (out.numel() > 0)
    check(H5Dread(ds.get(), file_type_for(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()),
          "reading dataset '" + name + "'");
  return out;
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  quiet_once();
  DatatypeId type = vlen_string_type();
  hsize_t n = values.size();
  DataspaceId space(check(H5Screate_simple(1, &n, nullptr), "creating dataspace for '" + name + "'"));
  PropListId dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "dataset property list"));
  check(H5Pset_obj_track_times(dcpl.get(), 0), "disabling time tracking");
  DatasetId ds(check(H5Dcreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                     "creating dataset '" + name + "'"));
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (n > 0) check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "writing '" + name + "'");
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name) {
  quiet_once();
  DatasetId ds(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "opening dataset '" + name + "'"));
  DataspaceId space(check(H5Dget_space(ds.get()), "dataspace of '" + name + "'"));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  VDF_CHECK(n >= 0, "dataset '{}': bad extent", name);
  DatatypeId type = vlen_string_type();
  {
    DatatypeId ftype(check(H5Dget_type(ds.get()), "type of '" + name + "'"));
    VDF_CHECK(H5Tget_class(ftype.get()) == H5T_STRING && H5Tis_variable_str(ftype.get()) > 0,
              "dataset '{}' is not a variable-length string dataset", name);
  }
  std::vector<char*> ptrs(size_t(n), nullptr);
  std::vector<std::string> out;
  if (n == 0) return out;
  check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "reading '" + name + "'");
  out.reserve(size_t(n));
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

void set_attr(hid_t obj, const std::string& name, const std::string& value) {
  DatatypeId type = vlen_string_type();
  AttributeId a = create_attr(obj, name, type.get());
  const char* p = value.c_str();
  check(H5Awrite(a.get(), type.get(), &p), "writing attribute '" + name + "'");
}
void set_attr(hid_t obj, const std::string& name, int64_t value) {
  AttributeId a = create_attr(obj, name, H5T_STD_I64LE);
  check(H5Awrite(a.get(), H5T_NATIVE_INT64, &value), "writing attribute '" + name + "'");
}
void set_attr(hid_t obj, const std::string& name, double value) {
  AttributeId a = create_attr(obj, name, H5T_IEEE_F64LE);
  check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value), "writing attribute '" + name + "'");
}

bool has_attr(hid_t obj, const std::string& name) {
  quiet_once();
  return H5Aexists(obj, name.c_str()) > 0;
}

std::string attr_string(hid_t obj, const std::string& name) {
  AttributeId a = open_attr(obj, name);
  DatatypeId ftype(check(H5Aget_type(a.get()), "type of attribute '" + name + "'"));
  VDF_CHECK(H5Tget_class(ftype.get()) == H5T_STRING, "attribute '{}' is not a string", name);
  if (H5Tis_variable_str(ftype.get()) > 0) {
    DatatypeId type = vlen_string_type();
    char* p = nullptr;
    check(H5Aread(a.get(), type.get(), &p), "reading attribute '" + name + "'");
    std::string out = p ? p : "";
    H5free_memory(p);
    return out;
  }
  const size_t size = H5Tget_size(ftype.get());
  std::string out(size, '\0');
  check(H5Aread(a.get(), ftype.get(), out.data()), "reading attribute '" + name + "'");
  out.resize(out.find('\0') == std::string::npos ? size : out.find('\0'));
  return out;
}

int64_t attr_int(hid_t obj, const std::string& name) {
  AttributeId a = open_attr(obj, name);
  int64_t v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_INT64, &v), "reading attribute '" + name + "'");
  return v;
}

double attr_double(hid_t obj, const std::string& name) {
  AttributeId a = open_attr(obj, name);
  double v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), "reading attribute '" + name + "'");
  return v;
}

std::vector<std::string> attr_names(hid_t obj) {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names), "listing attributes");
  return names;
}

}  // namespace vdf::h5
