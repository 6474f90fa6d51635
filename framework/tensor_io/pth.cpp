#include "framework/tensor_io/pth.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_map>

#include <fmt/ranges.h>

#include "framework/core/error.h"
#include "framework/tensor_io/zip_reader.h"

namespace vdf::tensor_io {

namespace {

// ---- Python values the interpreter builds ------------------------------------------------------
struct PyObj;
using Obj = std::shared_ptr<PyObj>;

struct PyObj {
  enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor, Opaque };
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0;
  std::string s, s2;  // Str/Bytes: s; Global: module s, name s2; Storage: key s; Opaque: description s
  std::vector<Obj> items;                      // Tuple, List
  std::vector<std::pair<Obj, Obj>> dict;       // Dict, in insertion order
  std::unordered_map<std::string, size_t> str_index;  // Dict: string key -> position in `dict`
  torch::ScalarType dtype = torch::kFloat32;   // Storage
  torch::Tensor tensor;                        // Tensor
};

Obj make(PyObj::Kind kind) {
  auto o = std::make_shared<PyObj>();
  o->kind = kind;
  return o;
}

const char* kind_name(PyObj::Kind k) {
  switch (k) {
    case PyObj::Kind::None: return "None";
    case PyObj::Kind::Bool: return "bool";
    case PyObj::Kind::Int: return "int";
    case PyObj::Kind::Float: return "float";
    case PyObj::Kind::Str: return "str";
    case PyObj::Kind::Bytes: return "bytes";
    case PyObj::Kind::Tuple: return "tuple";
    case PyObj::Kind::List: return "list";
    case PyObj::Kind::Dict: return "dict";
    case PyObj::Kind::Global: return "global";
    case PyObj::Kind::Storage: return "storage";
    case PyObj::Kind::Tensor: return "tensor";
    case PyObj::Kind::Opaque: return "object";
  }
  return "?";
}

bool storage_dtype(const std::string& name, torch::ScalarType* out) {
  static const std::map<std::string, torch::ScalarType> table = {
      {"DoubleStorage", torch::kFloat64}, {"FloatStorage", torch::kFloat32}, {"HalfStorage", torch::kFloat16},
      {"BFloat16Storage", torch::kBFloat16}, {"LongStorage", torch::kInt64}, {"IntStorage", torch::kInt32},
      {"ShortStorage", torch::kInt16}, {"CharStorage", torch::kInt8}, {"ByteStorage", torch::kUInt8},
      {"BoolStorage", torch::kBool}};
  auto it = table.find(name);
  if (it == table.end()) return false;
  *out = it->second;
  return true;
}

constexpr size_t kMaxStack = 1u << 22;
constexpr int kMaxRank = 16;
constexpr int64_t kMaxDim = int64_t(1) << 40;

// ---- the pickle interpreter ------------------------------------------------------------------
class Unpickler {
 public:
  using StorageLoader = std::function<torch::Tensor(const std::string& key, torch::ScalarType dtype, int64_t numel)>;

  Unpickler(std::string_view data, StorageLoader loader) : d_(data), loader_(std::move(loader)) {}

  Obj run() {
    while (true) {
      size_t op_pos = pos_;
      uint8_t op = u8();
      try {
        if (op == '.') break;  // STOP
        step(op);
      } catch (const Error& e) {
        fail("pickle opcode 0x{:02x} at byte {}: {}", op, op_pos, e.what());
      }
    }
    VDF_CHECK(stack_.size() == 1 && marks_.empty(), "pickle ended with {} values on the stack", stack_.size());
    return stack_.back();
  }

 private:
  // -- reading --
  void need(size_t n) const {
    if (n > d_.size() - pos_) fail("pickle truncated at byte {} (needs {} more bytes)", pos_, n);
  }
  uint8_t u8() {
    need(1);
    return static_cast<uint8_t>(d_[pos_++]);
  }
  uint64_t uint_le(int n) {
    need(n);
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(d_[pos_ + k]);
    pos_ += n;
    return v;
  }
  std::string bytes(uint64_t n) {
    need(n);
    std::string s(d_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string line() {
    size_t end = d_.find('\n', pos_);
    VDF_CHECK(end != std::string_view::npos, "pickle truncated inside a text argument");
    std::string s(d_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  // -- stack --
  void push(Obj o) {
    VDF_CHECK(stack_.size() < kMaxStack, "pickle stack too deep");
    stack_.push_back(std::move(o));
  }
  Obj pop() {
    VDF_CHECK(stack_.size() > (marks_.empty() ? 0 : marks_.back()), "pickle stack underflow");
    Obj o = std::move(stack_.back());
    stack_.pop_back();
    return o;
  }
  Obj& top() {
    VDF_CHECK(stack_.size() > (marks_.empty() ? 0 : marks_.back()), "pickle stack underflow");
    return stack_.back();
  }
  std::vector<Obj> pop_mark() {
    VDF_CHECK(!marks_.empty(), "pickle uses a MARK that was never set");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Obj> out(std::make_move_iterator(stack_.begin() + m), std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return out;
  }
  void memo_put(uint64_t k) { memo_[k] = top(); }
  Obj memo_get(uint64_t k) {
    auto it = memo_.find(k);
    VDF_CHECK(it != memo_.end(), "pickle memo key {} is not set", k);
    return it->second;
  }

  static Obj tuple(std::vector<Obj> items) {
    Obj o = make(PyObj::Kind::Tuple);
    o->items = std::move(items);
    return o;
  }
  static Obj integer(int64_t v) {
    Obj o = make(PyObj::Kind::Int);
    o->i = v;
    return o;
  }
  static Obj str(std::string s, PyObj::Kind kind = PyObj::Kind::Str) {
    Obj o = make(kind);
    o->s = std::move(s);
    return o;
  }
  static Obj global(std::string module, std::string name) {
    Obj o = make(PyObj::Kind::Global);
    o->s = std::move(module);
    o->s2 = std::move(name);
    return o;
  }

  void setitems(const Obj& target, std::vector<Obj>& kv) {
    VDF_CHECK(kv.size() % 2 == 0, "SETITEMS with an odd number of values");
    if (target->kind != PyObj::Kind::Dict) return;  // items of an opaque object: ignored
    for (size_t k = 0; k < kv.size(); k += 2) {
      if (kv[k]->kind == PyObj::Kind::Str) {
        auto [it, inserted] = target->str_index.emplace(kv[k]->s, target->dict.size());
        if (!inserted) {
          target->dict[it->second].second = kv[k + 1];
          continue;
        }
      }
      target->dict.emplace_back(kv[k], kv[k + 1]);
    }
  }

  static int64_t as_int(const Obj& o, const char* what) {
    VDF_CHECK(o->kind == PyObj::Kind::Int || o->kind == PyObj::Kind::Bool, "{} must be an int, got {}", what,
              kind_name(o->kind));
    return o->i;
  }
  static std::vector<int64_t> as_ints(const Obj& o, const char* what) {
    VDF_CHECK(o->kind == PyObj::Kind::Tuple || o->kind == PyObj::Kind::List, "{} must be a tuple, got {}", what,
              kind_name(o->kind));
    VDF_CHECK(o->items.size() <= static_cast<size_t>(kMaxRank), "{} has {} dimensions (at most {})", what,
              o->items.size(), kMaxRank);
    std::vector<int64_t> out;
    for (const auto& x : o->items) out.push_back(as_int(x, what));
    return out;
  }

  Obj rebuild_tensor(const std::vector<Obj>& args) {
    VDF_CHECK(args.size() >= 4, "_rebuild_tensor needs (storage, offset, size, stride), got {} arguments",
              args.size());
    const Obj& st = args[0];
    VDF_CHECK(st->kind == PyObj::Kind::Storage, "_rebuild_tensor: first argument must be a storage, got {}",
              kind_name(st->kind));
    int64_t offset = as_int(args[1], "storage offset");
    auto sizes = as_ints(args[2], "size");
    auto strides = as_ints(args[3], "stride");
    VDF_CHECK(sizes.size() == strides.size(), "size has {} dimensions but stride has {}", sizes.size(),
              strides.size());
    torch::Tensor storage = storage_for(st);
    int64_t storage_numel = storage.numel();
    // The largest element index touched must lie inside the storage (computed without overflow).
    VDF_CHECK(offset >= 0, "negative storage offset {}", offset);
    bool empty = false;
    uint64_t numel = 1;
    for (size_t k = 0; k < sizes.size(); ++k) {
      VDF_CHECK(sizes[k] >= 0 && strides[k] >= 0, "negative size or stride in dimension {}", k);
      VDF_CHECK(sizes[k] <= kMaxDim && strides[k] <= kMaxDim, "absurd size or stride in dimension {}", k);
      if (sizes[k] == 0) empty = true;
      uint64_t dim = static_cast<uint64_t>(sizes[k]);
      numel = (dim != 0 && numel > (uint64_t(1) << 62) / dim) ? (uint64_t(1) << 62) : numel * dim;
    }
    // Expanded (stride 0) tensors may have more elements than their storage, but not absurdly more.
    VDF_CHECK(empty || numel <= static_cast<uint64_t>(storage_numel) + (uint64_t(1) << 24),
              "tensor of {} elements from a storage of {} elements is absurd", numel, storage_numel);
    if (!empty) {
      uint64_t last = static_cast<uint64_t>(offset);
      for (size_t k = 0; k < sizes.size(); ++k) {
        uint64_t span;
        VDF_CHECK(!__builtin_mul_overflow(static_cast<uint64_t>(sizes[k] - 1), static_cast<uint64_t>(strides[k]),
                                          &span) &&
                      !__builtin_add_overflow(last, span, &last),
                  "absurd size/stride (overflow)");
      }
      VDF_CHECK(last < static_cast<uint64_t>(storage_numel),
                "tensor of size [{}] stride [{}] offset {} reaches element {} of a storage of {} elements",
                fmt::join(sizes, ","), fmt::join(strides, ","), offset, last, storage_numel);
    }
    Obj o = make(PyObj::Kind::Tensor);
    if (empty) o->tensor = torch::empty(sizes, storage.options());
    else o->tensor = storage.as_strided(sizes, strides, offset).contiguous();
    return o;
  }

  torch::Tensor storage_for(const Obj& st) {
    auto it = storages_.find(st->s);
    if (it != storages_.end()) {
      VDF_CHECK(it->second.scalar_type() == st->dtype, "storage '{}' is used with two dtypes", st->s);
      return it->second;
    }
    torch::Tensor t = loader_(st->s, st->dtype, st->i);
    storages_[st->s] = t;
    return t;
  }

  Obj call(const Obj& callable, const Obj& args_obj) {
    VDF_CHECK(args_obj->kind == PyObj::Kind::Tuple, "REDUCE arguments must be a tuple, got {}",
              kind_name(args_obj->kind));
    const auto& args = args_obj->items;
    if (callable->kind == PyObj::Kind::Global) {
      const std::string name = callable->s + "." + callable->s2;
      if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "__builtin__.dict") {
        Obj d = make(PyObj::Kind::Dict);
        if (!args.empty() && args[0]->kind == PyObj::Kind::Dict) {
          d->dict = args[0]->dict;
          d->str_index = args[0]->str_index;
        }
        return d;
      }
      if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
        return rebuild_tensor(args);
      if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
        VDF_CHECK(!args.empty() && args[0]->kind == PyObj::Kind::Tensor,
                  "_rebuild_parameter needs a tensor argument");
        return args[0];
      }
      return str("<" + name + "(...)>", PyObj::Kind::Opaque);
    }
    return str("<call of a " + std::string(kind_name(callable->kind)) + ">", PyObj::Kind::Opaque);
  }

  Obj persistent_load(const Obj& pid) {
    // ('storage', storage_type, key, location, numel)
    VDF_CHECK(pid->kind == PyObj::Kind::Tuple && pid->items.size() >= 5 && pid->items[0]->kind == PyObj::Kind::Str &&
                  pid->items[0]->s == "storage",
              "unsupported persistent id (expected ('storage', type, key, location, numel))");
    const Obj& type = pid->items[1];
    VDF_CHECK(type->kind == PyObj::Kind::Global, "storage type must be a global, got {}", kind_name(type->kind));
    Obj st = make(PyObj::Kind::Storage);
    VDF_CHECK(storage_dtype(type->s2, &st->dtype), "unsupported storage type {}.{}", type->s, type->s2);
    const Obj& key = pid->items[2];
    VDF_CHECK(key->kind == PyObj::Kind::Str, "storage key must be a string");
    st->s = key->s;
    st->i = as_int(pid->items[4], "storage numel");
    VDF_CHECK(st->i >= 0, "negative storage size {}", st->i);
    return st;
  }

  void step(uint8_t op) {
    using K = PyObj::Kind;
    switch (op) {
      case 0x80: u8(); break;                          // PROTO
      case 0x95: uint_le(8); break;                    // FRAME
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case ')': push(tuple({})); break;                // EMPTY_TUPLE
      case 't': push(tuple(pop_mark())); break;        // TUPLE
      case 0x85: { auto a = pop(); push(tuple({a})); break; }  // TUPLE1
      case 0x86: { auto b = pop(); auto a = pop(); push(tuple({a, b})); break; }  // TUPLE2
      case 0x87: { auto c = pop(); auto b = pop(); auto a = pop(); push(tuple({a, b, c})); break; }  // TUPLE3
      case ']': push(make(K::List)); break;            // EMPTY_LIST
      case 'l': { auto o = make(K::List); o->items = pop_mark(); push(o); break; }  // LIST
      case 'a': { auto v = pop(); auto& l = top(); if (l->kind == K::List) l->items.push_back(v); break; }  // APPEND
      case 'e': {                                      // APPENDS
        auto vs = pop_mark();
        auto& l = top();
        if (l->kind == K::List) l->items.insert(l->items.end(), vs.begin(), vs.end());
        break;
      }
      case '}': push(make(K::Dict)); break;            // EMPTY_DICT
      case 'd': {                                      // DICT
        auto kv = pop_mark();
        auto o = make(K::Dict);
        setitems(o, kv);
        push(o);
        break;
      }
      case 's': {                                      // SETITEM
        auto v = pop();
        auto k = pop();
        std::vector<Obj> kv{k, v};
        setitems(top(), kv);
        break;
      }
      case 'u': {                                      // SETITEMS
        auto kv = pop_mark();
        setitems(top(), kv);
        break;
      }
      case 'c': {                                      // GLOBAL "module\nname\n"
        auto module = line();
        auto name = line();
        push(global(module, name));
        break;
      }
      case 0x93: {                                     // STACK_GLOBAL
        auto name = pop();
        auto module = pop();
        VDF_CHECK(module->kind == K::Str && name->kind == K::Str, "STACK_GLOBAL needs two strings");
        push(global(module->s, name->s));
        break;
      }
      case 'R': { auto args = pop(); auto fn = pop(); push(call(fn, args)); break; }  // REDUCE
      case 0x81: {                                     // NEWOBJ cls args
        auto args = pop();
        auto cls = pop();
        push(call(cls, args->kind == K::Tuple ? args : tuple({})));
        break;
      }
      case 'b': pop(); top(); break;                   // BUILD: state ignored (e.g. OrderedDict _metadata)
      case 'Q': { auto pid = pop(); push(persistent_load(pid)); break; }  // BINPERSID
      case 'q': memo_put(u8()); break;                 // BINPUT
      case 'r': memo_put(uint_le(4)); break;           // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;        // MEMOIZE
      case 'p': memo_put(std::strtoull(line().c_str(), nullptr, 10)); break;  // PUT
      case 'h': push(memo_get(u8())); break;           // BINGET
      case 'j': push(memo_get(uint_le(4))); break;     // LONG_BINGET
      case 'g': push(memo_get(std::strtoull(line().c_str(), nullptr, 10))); break;  // GET
      case 'J': push(integer(static_cast<int32_t>(uint_le(4)))); break;  // BININT
      case 'K': push(integer(u8())); break;            // BININT1
      case 'M': push(integer(static_cast<int64_t>(uint_le(2)))); break;  // BININT2
      case 0x8a: {                                     // LONG1
        uint8_t n = u8();
        VDF_CHECK(n <= 8, "LONG1 of {} bytes does not fit in 64 bits", n);
        uint64_t v = n ? uint_le(n) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        push(integer(static_cast<int64_t>(v)));
        break;
      }
      case 'N': push(make(K::None)); break;            // NONE
      case 0x88: case 0x89: {                          // NEWTRUE / NEWFALSE
        auto o = make(K::Bool);
        o->i = op == 0x88;
        push(o);
        break;
      }
      case 'G': {                                      // BINFLOAT (big-endian double)
        need(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | static_cast<uint8_t>(d_[pos_ + k]);
        pos_ += 8;
        auto o = make(K::Float);
        std::memcpy(&o->f, &bits, 8);
        push(o);
        break;
      }
      case 'X': push(str(bytes(uint_le(4)))); break;   // BINUNICODE
      case 0x8c: push(str(bytes(u8()))); break;        // SHORT_BINUNICODE
      case 0x8d: push(str(bytes(uint_le(8)))); break;  // BINUNICODE8
      case 'T': push(str(bytes(uint_le(4)), K::Bytes)); break;  // BINSTRING
      case 'U': push(str(bytes(u8()), K::Bytes)); break;        // SHORT_BINSTRING
      case 'B': push(str(bytes(uint_le(4)), K::Bytes)); break;  // BINBYTES
      case 'C': push(str(bytes(u8()), K::Bytes)); break;        // SHORT_BINBYTES
      case '0': pop(); break;                          // POP
      case '1': pop_mark(); break;                     // POP_MARK
      case '2': push(top()); break;                    // DUP
      default: fail("unsupported pickle opcode");
    }
  }

  std::string_view d_;
  size_t pos_ = 0;
  StorageLoader loader_;
  std::vector<Obj> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Obj> memo_;
  std::map<std::string, torch::Tensor> storages_;
};

// Nested dicts may share (or contain) each other through the memo: depth and total work are bounded.
void flatten(const Obj& o, const std::string& prefix, NamedTensors& out, int depth, size_t& budget) {
  VDF_CHECK(depth < 32, "nesting deeper than 32 levels at '{}'", prefix);
  VDF_CHECK(budget-- > 0, "too many nested entries (shared or cyclic dicts?)");
  if (o->kind == PyObj::Kind::Tensor) {
    out.emplace_back(prefix, o->tensor);
    return;
  }
  if (o->kind != PyObj::Kind::Dict) return;  // non-tensor values are skipped
  for (const auto& [k, v] : o->dict) {
    std::string key;
    if (k->kind == PyObj::Kind::Str) key = k->s;
    else if (k->kind == PyObj::Kind::Int) key = std::to_string(k->i);
    else continue;
    flatten(v, prefix.empty() ? key : prefix + "." + key, out, depth + 1, budget);
  }
}

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
  auto loader = [&](const std::string& key, torch::ScalarType dtype, int64_t numel) {
    const std::string entry_name = prefix + "data/" + key;
    const ZipEntry* e = zip.find(entry_name);
    VDF_CHECK(e, "storage '{}' has no archive entry '{}'", key, entry_name);
    uint64_t itemsize = c10::elementSize(dtype);
    uint64_t nbytes;
    VDF_CHECK(!__builtin_mul_overflow(static_cast<uint64_t>(numel), itemsize, &nbytes) && nbytes <= e->size,
              "storage '{}' claims {} elements of {} bytes but '{}' holds {} bytes", key, numel, itemsize, entry_name,
              e->size);
    std::string scratch;
    auto bytes = zip.read(*e, scratch);
    auto t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (nbytes) std::memcpy(t.data_ptr(), bytes.data(), nbytes);
    if (dtype == torch::kBool) {
      const uint8_t* p = static_cast<const uint8_t*>(t.data_ptr());
      for (uint64_t k = 0; k < nbytes; ++k) VDF_CHECK(p[k] <= 1, "bool storage '{}' holds byte {}", key, p[k]);
    }
    return t;
  };
  std::string scratch;
  auto pickle = zip.read(*pkl, scratch);
  Obj root;
  try {
    root = Unpickler(pickle, loader).run();
  } catch (const Error& e) {
    fail("'{}': {}: {}", name, pkl->name, e.what());
  }
  NamedTensors out;
  size_t budget = 10'000'000;
  with_context(fmt::format("'{}'", name), [&] { flatten(root, "", out, 0, budget); });
  VDF_CHECK(!out.empty() || root->kind == PyObj::Kind::Dict, "'{}': the pickle holds a {}, not a tensor or a dict",
            name, kind_name(root->kind));
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
