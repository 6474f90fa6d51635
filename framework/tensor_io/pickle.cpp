#include "framework/tensor_io/pickle.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "framework/core/error.h"

namespace vdf::tensor_io {

namespace {

struct StorageType {
  const char* name;   // torch.FloatStorage -> "FloatStorage"
  const char* dtype;  // safetensors dtype name
  size_t itemsize;
};

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
  const StorageType* storage_type = nullptr;   // Storage (numel in i)
  PickledTensor tensor;                        // Tensor
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

const StorageType* find_storage_type(const std::string& name) {
  static const StorageType table[] = {
      {"DoubleStorage", "F64", 8}, {"FloatStorage", "F32", 4}, {"HalfStorage", "F16", 2},
      {"BFloat16Storage", "BF16", 2}, {"LongStorage", "I64", 8}, {"IntStorage", "I32", 4},
      {"ShortStorage", "I16", 2}, {"CharStorage", "I8", 1}, {"ByteStorage", "U8", 1}, {"BoolStorage", "BOOL", 1}};
  for (const auto& t : table)
    if (name == t.name) return &t;
  return nullptr;
}

constexpr size_t kMaxStack = 1u << 22;
constexpr int kMaxRank = 16;
constexpr int64_t kMaxDim = int64_t(1) << 40;

// ---- the pickle interpreter ------------------------------------------------------------------
class Unpickler {
 public:
  Unpickler(std::string_view data, const StorageCheck& check) : d_(data), check_(check) {}
  // Lists and dicts may contain themselves (DUP, memo): break every cycle so that nothing leaks.
  ~Unpickler() {
    for (auto& o : arena_) {
      o->items.clear();
      o->dict.clear();
    }
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

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

  // Every value is made here and kept in arena_ until the interpreter is destroyed.
  Obj make(PyObj::Kind kind) {
    arena_.push_back(::vdf::tensor_io::make(kind));
    return arena_.back();
  }
  Obj tuple(std::vector<Obj> items) {
    Obj o = make(PyObj::Kind::Tuple);
    o->items = std::move(items);
    return o;
  }
  Obj integer(int64_t v) {
    Obj o = make(PyObj::Kind::Int);
    o->i = v;
    return o;
  }
  Obj str(std::string s, PyObj::Kind kind = PyObj::Kind::Str) {
    Obj o = make(kind);
    o->s = std::move(s);
    return o;
  }
  Obj global(std::string module, std::string name) {
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
    storage_for(st);
    const int64_t storage_numel = st->i;
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
    o->tensor.storage = st->s;
    o->tensor.dtype = st->storage_type->dtype;
    o->tensor.itemsize = st->storage_type->itemsize;
    o->tensor.storage_numel = storage_numel;
    o->tensor.offset = offset;
    o->tensor.sizes = std::move(sizes);
    o->tensor.strides = std::move(strides);
    return o;
  }

  // The first use of a storage is checked (check_); later uses must agree on its type and size.
  void storage_for(const Obj& st) {
    auto it = storages_.find(st->s);
    if (it != storages_.end()) {
      VDF_CHECK(it->second.first == st->storage_type, "storage '{}' is used with two dtypes", st->s);
      VDF_CHECK(it->second.second == st->i, "storage '{}' is used with two sizes ({} and {} elements)", st->s,
                it->second.second, st->i);
      return;
    }
    if (check_) check_(st->s, st->storage_type->dtype, st->storage_type->itemsize, st->i);
    storages_[st->s] = {st->storage_type, st->i};
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
    st->storage_type = find_storage_type(type->s2);
    VDF_CHECK(st->storage_type, "unsupported storage type {}.{}", type->s, type->s2);
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
  const StorageCheck& check_;
  std::vector<Obj> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Obj> memo_;
  std::map<std::string, std::pair<const StorageType*, int64_t>> storages_;  // key -> (type, numel)
  std::vector<Obj> arena_;  // every value made
};

// Nested dicts may share (or contain) each other through the memo: depth and total work are bounded.
using Flat = std::vector<std::pair<std::string, PickledTensor>>;

void flatten(const Obj& o, const std::string& prefix, Flat& out, int depth, size_t& budget) {
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

}  // namespace

std::vector<std::pair<std::string, PickledTensor>> read_tensor_pickle(std::string_view data,
                                                                      const std::string& pickle_name,
                                                                      const StorageCheck& check) {
  Unpickler unpickler(data, check);  // owns the values until the end (see ~Unpickler)
  Obj root;
  try {
    root = unpickler.run();
  } catch (const Error& e) {
    fail("{}: {}", pickle_name, e.what());
  }
  Flat out;
  size_t budget = 10'000'000;
  flatten(root, "", out, 0, budget);
  VDF_CHECK(!out.empty() || root->kind == PyObj::Kind::Dict, "the pickle holds a {}, not a tensor or a dict",
            kind_name(root->kind));
  return out;
}

}  // namespace vdf::tensor_io
