// safetensors reader/writer: round trips of every dtype, hostile-file hardening, golden files.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cstring>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/test_support.h"

using namespace vdf;
using namespace vdf::tensor_io;

namespace {

// A safetensors file from a raw header text and `data_bytes` bytes of data (pattern 0..255).
std::string make_file(const std::string& header, size_t data_bytes, int64_t header_len = -1) {
  std::string out(8, '\0');
  uint64_t n = header_len >= 0 ? static_cast<uint64_t>(header_len) : header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  for (size_t i = 0; i < data_bytes; ++i) out += static_cast<char>(i & 0xff);
  return out;
}

std::string parse_error(const std::string& bytes) {
  try {
    auto f = SafetensorsFile::from_bytes(bytes, "evil.safetensors");
    (void)f.all();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("safetensors: round trip of every dtype, with metadata, through a file", "[unit]") {
  testing::TempDir tmp;
  torch::manual_seed(1);
  TensorMap in;
  in["f64"] = torch::randn({3, 4}, torch::kFloat64);
  in["f32"] = torch::randn({2, 3, 5});
  in["f16"] = torch::randn({7}).to(torch::kFloat16);
  in["bf16"] = torch::randn({2, 2}).to(torch::kBFloat16);
  in["i64"] = torch::tensor({int64_t(-1), INT64_MAX, INT64_MIN});
  in["i32"] = torch::randint(-1000, 1000, {4}, torch::kInt32);
  in["i16"] = torch::randint(-1000, 1000, {4}, torch::kInt16);
  in["i8"] = torch::randint(-128, 127, {9}, torch::kInt8);
  in["u8"] = torch::randint(0, 255, {3, 3}, torch::kUInt8);
  in["bool"] = torch::rand({5}) > 0.5;
  in["scalar"] = torch::tensor(3.5);
  in["empty"] = torch::zeros({0, 4});
  in["noncontig"] = torch::arange(12, torch::kFloat32).view({3, 4}).t();
  in["unicode.ключ.鍵"] = torch::ones({1});
  Metadata meta{{"format", "pt"}, {"note", "quote \" backslash \\ newline \n tab \t ü"}};
  auto path = tmp / "all.safetensors";
  save_safetensors(path, in, meta);

  std::string bytes = read_file(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  CHECK(bytes.find("\"bf16\"") < bytes.find("\"f16\""));  // sorted keys
  CHECK(bytes == serialize_safetensors(in, meta));

  Metadata meta_out;
  auto out = load_safetensors(path, &meta_out);
  CHECK(meta_out == meta);
  REQUIRE(out.size() == in.size());
  for (const auto& [k, t] : in) {
    INFO(k);
    REQUIRE(out.count(k));
    CHECK(out[k].scalar_type() == t.scalar_type());
    CHECK(out[k].sizes() == t.sizes());
    CHECK(torch::equal(out[k], t));
  }
  auto file = SafetensorsFile::open(path);
  CHECK(file.keys().front() == "bf16");
  CHECK(file.info("f32").dtype == "F32");
  CHECK(file.info("f32").shape == std::vector<int64_t>{2, 3, 5});
  CHECK(torch::equal(file.tensor_view("f64"), in["f64"]));
  CHECK(torch::equal(file.tensor_view("empty"), in["empty"]));
  // infos() are in data order and back to back
  uint64_t expect = 0;
  for (const auto& info : file.infos()) {
    CHECK(info.begin == expect);
    expect = info.end;
  }
  CHECK_THROWS_WITH(file.tensor("nope"), Catch::Contains("nope") && Catch::Contains("all.safetensors"));
}

TEST_CASE("safetensors: writer rejects what it cannot store", "[unit]") {
  CHECK_THROWS_WITH(serialize_safetensors({{"c", torch::zeros({2}, torch::kComplexFloat)}}), Catch::Contains("'c'"));
  CHECK_THROWS_WITH(serialize_safetensors({{"__metadata__", torch::zeros({2})}}), Catch::Contains("__metadata__"));
  CHECK_THROWS_WITH(serialize_safetensors({{std::string("bad\xff"), torch::zeros({2})}}), Catch::Contains("UTF-8"));
  CHECK_THROWS_WITH(dtype_from_safetensors("F8_E4M3"), Catch::Contains("F8_E4M3"));
}

TEST_CASE("safetensors: hostile files give clear errors naming the file and key", "[unit]") {
  const std::string ok_entry = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  // sanity: the well-formed version parses
  CHECK(parse_error(make_file("{" + ok_entry + "}", 8)) == "<no error>");
  CHECK(parse_error(make_file("{" + ok_entry + "}    ", 8)) == "<no error>");

  struct Case {
    const char* what;
    std::string bytes;
    std::vector<std::string> expect;
  };
  std::vector<Case> cases = {
      {"empty file", "", {"evil.safetensors", "too short"}},
      {"5 bytes", std::string("\x10\0\0\0\0", 5), {"too short"}},
      {"header beyond file", make_file("{" + ok_entry + "}", 8, 1000), {"beyond the end", "1000"}},
      {"absurd header", make_file("{}", 0, int64_t(1) << 40), {"absurd"}},
      {"bad json", make_file("{\"w\":{\"dtype\":", 0), {"not valid JSON"}},
      {"garbage after json", make_file("{} xx", 0), {"not valid JSON"}},
      {"array root", make_file("[1,2]", 0), {"must be a JSON object"}},
      {"non-object entry", make_file(R"({"w":[1,2]})", 0), {"'w'", "must be an object"}},
      {"unknown dtype", make_file(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8), {"'w'", "Q7"}},
      {"missing field", make_file(R"({"w":{"dtype":"F32","shape":[2]}})", 8), {"'w'", "data_offsets"}},
      {"unknown field", make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", 8),
       {"'w'", "unknown field"}},
      {"negative dim", make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
       {"'w'", "non-negative"}},
      {"fraction dim", make_file(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
       {"'w'", "non-negative"}},
      {"shape overflow",
       make_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8),
       {"'w'", "absurd"}},
      {"huge dim", make_file(R"({"w":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,8]}})", 8),
       {"'w'"}},
      {"too many dims", make_file(R"({"w":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}})", 8),
       {"'w'", "dimensions"}},
      {"offsets out of range", make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
       {"'w'", "beyond the data section"}},
      {"end before begin", make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
       {"'w'", "end is before begin"}},
      {"size mismatch", make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 16),
       {"'w'", "needs 12 bytes"}},
      {"offsets not two", make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8), {"'w'"}},
      {"overlap",
       make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                 12),
       {"'b'", "'a'", "overlap"}},
      {"duplicate key", make_file("{" + ok_entry + "," + ok_entry + "}", 8), {"duplicate key", "\"w\""}},
      {"non-utf8 name", make_file("{\"w\xc3\x28\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
       {"UTF-8"}},
      {"lone surrogate", make_file(R"({"w\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8),
       {"surrogate"}},
      {"metadata not strings", make_file(R"({"__metadata__":{"a":1}})", 0), {"__metadata__", "'a'"}},
      {"deep nesting", make_file(std::string(200, '[') + std::string(200, ']'), 0), {"nested"}},
      {"bad bool", make_file(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[2,4]}})", 4), {"'b'", "BOOL"}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::string msg = parse_error(c.bytes);
    INFO(msg);
    CHECK(msg != "<no error>");
    CHECK_THAT(msg, Catch::Contains("evil.safetensors"));
    for (const auto& e : c.expect) CHECK_THAT(msg, Catch::Contains(e));
  }

  // Every truncation of a valid file is either rejected or yields only in-bounds tensors.
  auto good = serialize_safetensors({{"a", torch::ones({3})}, {"b", torch::zeros({2, 2}, torch::kInt64)}});
  for (size_t len = 0; len < good.size(); ++len) {
    std::string msg = parse_error(good.substr(0, len));
    INFO(len);
    CHECK(msg != "<no error>");
  }
  // Real files on disk: a truncated file names its path.
  testing::TempDir tmp;
  write_file_atomic(tmp / "cut.safetensors", good.substr(0, good.size() - 3));
  CHECK_THROWS_WITH(SafetensorsFile::open(tmp / "cut.safetensors"),
                    Catch::Contains("cut.safetensors") && Catch::Contains("'b'"));
  CHECK_THROWS_WITH(SafetensorsFile::open(tmp / "missing.safetensors"), Catch::Contains("missing.safetensors"));
  CHECK_THROWS_WITH(SafetensorsFile::open(tmp.path()), Catch::Contains("not a regular file"));
}

TEST_CASE("safetensors: golden frechet case_b matches Python's reading", "[unit][parity]") {
  if (!testing::has_shared("golden/frechet/case_b.safetensors")) {
    WARN("skipped: ../shared/golden/frechet/case_b.safetensors not found");
    return;
  }
  auto path = testing::shared("golden/frechet/case_b.safetensors");
  auto file = SafetensorsFile::open(path);
  CHECK(file.keys().size() == 9);
  CHECK(file.metadata().at("n1") == "600");
  auto x1 = file.tensor("X1");
  CHECK(x1.sizes() == torch::IntArrayRef({600, 64}));
  CHECK(x1.scalar_type() == torch::kFloat64);
  CHECK(file.tensor("fid").item<double>() == 9.044716562162037);
  CHECK(file.tensor("fid_stylegan_biased").item<double>() == 9.030449626680166);

  // The same values read by an independent Python parser (json + numpy), printed with full precision.
  std::string py =
      vdf::testing::python() + " -c \"import json,struct,numpy as np;"
      "b=open('" + path.string() + "','rb').read();n=struct.unpack('<Q',b[:8])[0];h=json.loads(b[8:8+n]);"
      "e=h['X1'];x=np.frombuffer(b[8+n+e['data_offsets'][0]:8+n+e['data_offsets'][1]],'<f8');"
      "e=h['sigma2'];s=np.frombuffer(b[8+n+e['data_offsets'][0]:8+n+e['data_offsets'][1]],'<f8');"
      "print(repr(float(x[0])),repr(float(x[-1])),repr(float(x[1234])),repr(float(s.sum())))\"";
  auto r = testing::run_command(py);
  if (r.exit_code != 0) {
    WARN("skipped the Python comparison: " << r.output);
    return;
  }
  std::istringstream in(r.output);
  double first, last, mid, sigma_sum;
  in >> first >> last >> mid >> sigma_sum;
  auto flat = x1.flatten();
  CHECK(flat[0].item<double>() == first);
  CHECK(flat[-1].item<double>() == last);
  CHECK(flat[1234].item<double>() == mid);
  CHECK(file.tensor_view("sigma2").sum().item<double>() == Approx(sigma_sum).epsilon(1e-12));
}
