// PyTorch zip checkpoint reader: real assets compared with torch.load in the reference Python, generated
// files (OrderedDict, dict, nested, views, deflate), and hostile inputs.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/tensor_io/pth.h"
#include "framework/tensor_io/zip_reader.h"
#include "tests/test_support.h"

using namespace vdf;
using namespace vdf::tensor_io;

namespace {

struct PyTensor {
  std::string key, dtype;
  std::vector<int64_t> shape;
  double sum = 0, first = 0;
};

// Runs torch.load in Debian's Python and returns (key, dtype, shape, float64 sum, first element).
bool python_listing(const std::string& path, std::vector<PyTensor>& out, std::string& error) {
  std::string py =
      vdf::testing::python() + " -c \"import torch,sys\n"
      "o=torch.load(sys.argv[1],map_location='cpu')\n"
      "items=[('',o)] if isinstance(o,torch.Tensor) else list(o.items())\n"
      "for k,t in items:\n"
      " print(k or '-',str(t.dtype).replace('torch.',''),'x'.join(map(str,t.shape)) or 's',"
      "repr(t.double().sum().item()),repr(t.flatten()[0].double().item()))\" " + path;
  auto r = testing::run_command(py);
  if (r.exit_code != 0) {
    error = r.output;
    return false;
  }
  std::istringstream in(r.output);
  PyTensor t;
  std::string shape;
  while (in >> t.key >> t.dtype >> shape >> t.sum >> t.first) {
    if (t.key == "-") t.key = "";
    t.shape.clear();
    if (shape != "s") {
      std::istringstream ss(shape);
      std::string part;
      while (std::getline(ss, part, 'x')) t.shape.push_back(std::stoll(part));
    }
    out.push_back(t);
  }
  return true;
}

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat16: return "float16";
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kBFloat16: return "bfloat16";
    case torch::kUInt8: return "uint8";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kBool: return "bool";
    default: return c10::toString(t);
  }
}

void compare_with_python(const std::string& path, const NamedTensors& ours) {
  std::vector<PyTensor> ref;
  std::string error;
  if (!python_listing(path, ref, error)) {
    WARN("skipped the torch.load comparison: " << error);
    return;
  }
  REQUIRE(ref.size() == ours.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    INFO(ref[i].key);
    CHECK(ours[i].first == ref[i].key);  // same order
    CHECK(dtype_name(ours[i].second.scalar_type()) == ref[i].dtype);
    CHECK(ours[i].second.sizes().vec() == ref[i].shape);
    auto t = ours[i].second.to(torch::kFloat64);
    CHECK(t.sum().item<double>() == Approx(ref[i].sum).epsilon(1e-9).margin(1e-9));
    CHECK(t.flatten()[0].item<double>() == ref[i].first);
  }
}

}  // namespace

TEST_CASE("pth: taef2_encoder.pth (OrderedDict, fp16) matches torch.load", "[unit][parity]") {
  if (!testing::has_shared("assets/vae/taef2_encoder.pth")) {
    WARN("skipped: ../shared/assets/vae/taef2_encoder.pth not found");
    return;
  }
  auto path = testing::shared("assets/vae/taef2_encoder.pth");
  CHECK(is_zip_file(path));
  auto tensors = load_pth(path);
  REQUIRE(tensors.size() == 79);
  for (const auto& [k, t] : tensors) CHECK(t.scalar_type() == torch::kFloat16);
  compare_with_python(path.string(), tensors);
}

TEST_CASE("pth: a single uint8 frame tensor matches torch.load", "[unit][parity]") {
  const std::string rel = "assets/videos/nasa_13013.mp4.stream3.frame000000.pt";
  if (!testing::has_shared(rel)) {
    WARN("skipped: ../shared/" << rel << " not found");
    return;
  }
  auto tensors = load_pth(testing::shared(rel));
  REQUIRE(tensors.size() == 1);
  CHECK(tensors[0].first.empty());
  CHECK(tensors[0].second.sizes() == torch::IntArrayRef({270, 480, 3}));
  CHECK(tensors[0].second.scalar_type() == torch::kUInt8);
  compare_with_python(testing::shared(rel).string(), tensors);
}

TEST_CASE("pth: generated files: dict, nested, views with offsets/strides, shared storage, deflate",
          "[unit][parity]") {
  testing::TempDir tmp;
  auto plain = (tmp / "plain.pt").string();
  auto deflated = (tmp / "deflated.pt").string();
  std::string py =
      vdf::testing::python() + " -c \"import torch,collections,zipfile,sys\n"
      "torch.manual_seed(0)\n"
      "base=torch.arange(60,dtype=torch.float32).reshape(6,10)\n"
      "sd=collections.OrderedDict()\n"
      "sd['z.view']=base[2:5,1:9:3]\n"
      "sd['a.t']=base.t()\n"
      "sd['b.f64']=torch.randn(3,dtype=torch.float64)\n"
      "sd['c.bf16']=torch.randn(4).bfloat16()\n"
      "sd['d.i64']=torch.tensor([1,-2,3])\n"
      "sd['e.i32']=torch.tensor([7],dtype=torch.int32)\n"
      "sd['f.bool']=torch.tensor([True,False])\n"
      "sd['g.scalar']=torch.tensor(2.5)\n"
      "sd['h.empty']=torch.zeros(0,3)\n"
      "sd['i.param']=torch.nn.Parameter(torch.ones(2))\n"
      "obj={'step':5,'name':'x','model':sd,'other':{'w':torch.full((2,),3.0)}}\n"
      "torch.save(obj,sys.argv[1])\n"
      "zi=zipfile.ZipFile(sys.argv[1]);zo=zipfile.ZipFile(sys.argv[2],'w',zipfile.ZIP_DEFLATED)\n"
      "[zo.writestr(n,zi.read(n)) for n in zi.namelist()];zo.close()\" " +
      plain + " " + deflated;
  auto r = testing::run_command(py);
  if (r.exit_code != 0) {
    WARN("skipped: could not generate files with torch: " << r.output);
    return;
  }
  auto a = load_pth(plain);
  std::vector<std::string> keys;
  for (const auto& [k, t] : a) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"model.z.view", "model.a.t", "model.b.f64", "model.c.bf16", "model.d.i64",
                                         "model.e.i32", "model.f.bool", "model.g.scalar", "model.h.empty",
                                         "model.i.param", "other.w"});
  auto base = torch::arange(60, torch::kFloat32).reshape({6, 10});
  CHECK(torch::equal(a[0].second, base.slice(0, 2, 5).slice(1, 1, 9, 3)));
  CHECK(torch::equal(a[1].second, base.t()));
  CHECK(a[6].second.scalar_type() == torch::kBool);
  CHECK(a[7].second.dim() == 0);
  CHECK(a[7].second.item<float>() == 2.5f);
  CHECK(a[8].second.sizes() == torch::IntArrayRef({0, 3}));
  auto b = load_pth(deflated);
  std::string bytes = read_file(deflated);
  ZipReader zip(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), deflated);
  CHECK(zip.entries().front().method == 8);
  REQUIRE(b.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::equal(a[i].second, b[i].second));
}

TEST_CASE("pth: hostile inputs give clear errors", "[unit]") {
  const std::string rel = "assets/videos/nasa_13013.mp4.stream3.frame000000.pt";
  if (!testing::has_shared(rel)) {
    WARN("skipped: ../shared/" << rel << " not found");
    return;
  }
  const std::string good = read_file(testing::shared(rel));
  auto error_of = [](const std::string& bytes) -> std::string {
    try {
      load_pth_bytes(bytes, "evil.pt");
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  };
  CHECK(error_of(good) == "<no error>");
  CHECK_THAT(error_of(""), Catch::Contains("evil.pt") && Catch::Contains("too short"));
  CHECK_THAT(error_of("this is not a zip file at all, just some text"), Catch::Contains("end-of-central-directory"));
  // Truncations anywhere give an error (never a crash).
  for (size_t len : {size_t(10), size_t(100), size_t(1000), good.size() / 2, good.size() - 30, good.size() - 1}) {
    INFO(len);
    CHECK_THAT(error_of(good.substr(0, len)), Catch::Contains("evil.pt"));
  }
  // Locate the pickle inside the (stored) archive and corrupt it.
  ZipReader zip(reinterpret_cast<const uint8_t*>(good.data()), good.size(), "x");
  const ZipEntry* pkl = nullptr;
  for (const auto& e : zip.entries())
    if (e.name.find("data.pkl") != std::string::npos) pkl = &e;
  REQUIRE(pkl);
  {
    std::string bad = good;
    bad[pkl->data_offset + pkl->size - 1] = 'N';  // STOP replaced: runs off the end
    CHECK_THAT(error_of(bad), Catch::Contains("truncated") && Catch::Contains("data.pkl"));
  }
  {
    std::string bad = good;
    bad[pkl->data_offset + 2] = '\xff';  // unknown opcode after PROTO 2
    CHECK_THAT(error_of(bad), Catch::Contains("unsupported pickle opcode") && Catch::Contains("0xff"));
  }
  {
    // storage numel 388800 (BININT) -> 388801: more than the archive entry holds
    std::string bad = good;
    std::string numel("J\xc0\xee\x05\x00", 5);
    auto at = bad.find(numel, pkl->data_offset);
    REQUIRE(at != std::string::npos);
    bad[at + 1] = '\xc1';
    CHECK_THAT(error_of(bad), Catch::Contains("388801") && Catch::Contains("holds 388800 bytes"));
  }
  {
    // size 270 -> 271 (BININT2): the view would read past the storage
    std::string bad = good;
    std::string size270("M\x0e\x01", 3);
    auto at = bad.find(size270, pkl->data_offset);
    REQUIRE(at != std::string::npos);
    bad[at + 1] = '\x0f';
    CHECK_THAT(error_of(bad), Catch::Contains("reaches element"));
  }
  CHECK_THROWS_WITH(load_pth("/nonexistent/x.pth"), Catch::Contains("/nonexistent/x.pth"));
}
