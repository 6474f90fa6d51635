// The HDF5 RAII layer: round trips of every supported dtype (16-bit floats bit-exact), strings,
// attributes, hard links, compression, and errors that name the object.
#include <catch2/catch.hpp>

#include "framework/core/error.h"
#include "framework/h5/h5.h"
#include <fstream>

#include "tests/test_support.h"

using namespace vdf;
using vdf::testing::TempDir;

TEST_CASE("h5: tensors of every dtype round-trip bit-exactly", "[unit][h5]") {
  TempDir dir;
  auto base = torch::linspace(-3.0, 3.0, 60).reshape({3, 4, 5});
  std::vector<torch::Tensor> ts = {base.to(torch::kFloat16), base.to(torch::kBFloat16), base,
                                   base.to(torch::kFloat64), (base * 10).to(torch::kInt64),
                                   (base * 10).to(torch::kInt32), (base.abs() * 40).to(torch::kUInt8)};
  {
    h5::FileId f = h5::create_file(dir / "t.h5");
    for (size_t i = 0; i < ts.size(); ++i)
      h5::write_tensor(f.get(), "t" + std::to_string(i), ts[i], {true, i % 2 ? 4 : 0});
    h5::write_tensor(f.get(), "mask", torch::tensor({true, false, true}));
  }
  h5::FileId f = h5::open_file(dir / "t.h5");
  for (size_t i = 0; i < ts.size(); ++i) {
    auto r = h5::read_tensor(f.get(), "t" + std::to_string(i));
    CHECK(r.scalar_type() == ts[i].scalar_type());
    CHECK(r.sizes() == ts[i].sizes());
    CHECK(torch::equal(r, ts[i]));
  }
  CHECK(torch::equal(h5::read_tensor(f.get(), "mask"), torch::tensor({1, 0, 1}, torch::kUInt8)));
  CHECK(h5::dataset_shape(f.get(), "t0") == std::vector<int64_t>{3, 4, 5});
}

TEST_CASE("h5: strings, attributes, groups, links", "[unit][h5]") {
  TempDir dir;
  {
    h5::FileId f = h5::create_file(dir / "s.h5");
    h5::write_strings(f.get(), "names", {"a", "", "ünïcode, \"quoted\"\n"});
    h5::set_attr(f.get(), "s", "hello");
    h5::set_attr(f.get(), "i", int64_t(-42));
    h5::set_attr(f.get(), "d", 0.125);
    h5::GroupId g = h5::create_group(f.get(), "g");
    h5::write_tensor(g.get(), "x", torch::ones({2}));
    h5::hard_link(f.get(), "g/x", "y");
  }
  h5::FileId f = h5::open_file(dir / "s.h5");
  auto names = h5::read_strings(f.get(), "names");
  REQUIRE(names.size() == 3);
  CHECK(names[2] == "ünïcode, \"quoted\"\n");
  CHECK(h5::attr_string(f.get(), "s") == "hello");
  CHECK(h5::attr_int(f.get(), "i") == -42);
  CHECK(h5::attr_double(f.get(), "d") == 0.125);
  CHECK(h5::exists(f.get(), "g/x"));
  CHECK_FALSE(h5::exists(f.get(), "g/z/w"));
  CHECK(torch::equal(h5::read_tensor(f.get(), "y"), torch::ones({2})));
  CHECK(h5::list_members(f.get()) == std::vector<std::string>{"g", "names", "y"});
  CHECK_THROWS_WITH(h5::attr_string(f.get(), "nope"), Catch::Contains("'nope'"));
  CHECK_THROWS_WITH(h5::read_tensor(f.get(), "missing"), Catch::Contains("'missing'"));
}

TEST_CASE("h5: non-HDF5 and missing files are clear errors", "[unit][h5]") {
  TempDir dir;
  CHECK_THROWS_WITH(h5::open_file(dir / "none.h5"), Catch::Contains("does not exist"));
  {
    std::ofstream(dir / "junk.h5") << "not hdf5";
  }
  CHECK_THROWS_WITH(h5::open_file(dir / "junk.h5"), Catch::Contains("not an HDF5 file"));
}
