// Config loading: _base_ inheritance, overrides, schema checks with key paths and file:line, round trip.
#include <catch2/catch.hpp>

#include "app/config.h"
#include "framework/core/atomic_file.h"
#include "tests/test_support.h"

using namespace vdf::config;
using vdf::testing::source_dir;

namespace {
std::string fixture(const std::string& name) { return (source_dir() / "tests/fixtures/configs" / name).string(); }

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const vdf::Error& e) {
    return e.what();
  }
  return "<no error>";
}

struct Inner {
  std::vector<double> values{1.5, 2.0};
  template <class V>
  void visit(V& v) { v("values", values, "floats"); }
  void validate(const Check&) const {}
};
struct Sample {
  bool flag = false;
  int count = 3;
  std::string word = "hi";
  std::vector<Inner> items{Inner{}};
  Inner inner;
  template <class V>
  void visit(V& v) {
    v("flag", flag, "a bool");
    v("count", count, "an int");
    v("word", word, "a string");
    v("items", items, "structs");
    v("inner", inner, "a section");
  }
  void validate(const Check& c) const { c.require(count >= 0, "count", count, ">= 0"); }
};

enum class Colour { red, dark_blue };
VDF_CONFIG_ENUM(Colour, {Colour::red, "red"}, {Colour::dark_blue, "dark-blue"})
struct Kinded {
  Colour colour = Colour::red;
  Inner blue_only;
  template <class V>
  void visit(V& v) {
    v("colour", colour, "a choice");
    v("blue_only", blue_only, "a kind-specific section", When{colour == Colour::dark_blue, "colour is dark-blue", "colour"});
  }
  void validate(const Check&) const {}
};
}  // namespace

TEST_CASE("config: defaults, _base_ and overrides merge in order", "[unit][config]") {
  VdfConfig d = load_config("");
  CHECK(d.run.seed == 0);
  VdfConfig c = load_config(fixture("child.yaml"));
  CHECK(c.run.name == "base-run");
  CHECK(c.run.seed == 11);
  CHECK(c.run.threads == 2);
  VdfConfig o = load_config(fixture("child.yaml"), {"run.seed=99", "run.device=cpu"});
  CHECK(o.run.seed == 99);
  CHECK(o.run.device == "cpu");
  VdfConfig l = load_config(fixture("list_base.yaml"));
  CHECK(l.run.seed == 11);
  CHECK(l.run.device == "cpu");
}

TEST_CASE("config: unknown keys name the key path, file, line and a suggestion", "[unit][config]") {
  auto msg = error_of([] { load_config(fixture("typo.yaml")); });
  CHECK_THAT(msg, Catch::Contains("unknown config key 'run.sead'"));
  CHECK_THAT(msg, Catch::Contains("typo.yaml:3"));
  CHECK_THAT(msg, Catch::Contains("did you mean 'run.seed'"));
  auto over = error_of([] { load_config("", {"run.sed=1"}); });
  CHECK_THAT(over, Catch::Contains("unknown config key 'run.sed'"));
  CHECK_THAT(over, Catch::Contains("command line override"));
  auto top = error_of([] { load_config("", {"trian.lr=1"}); });
  CHECK_THAT(top, Catch::Contains("unknown config key 'trian'"));
}

TEST_CASE("config: type errors name the expected type", "[unit][config]") {
  auto msg = error_of([] { load_config(fixture("badtype.yaml")); });
  CHECK_THAT(msg, Catch::Contains("config key 'run.seed'"));
  CHECK_THAT(msg, Catch::Contains("badtype.yaml:2"));
  CHECK_THAT(msg, Catch::Contains("expected integer"));
  CHECK_THAT(error_of([] { load_config("", {"run.seed=1.5"}); }), Catch::Contains("expected integer"));
  CHECK_THAT(error_of([] { load_config("", {"run.name=[1,2]"}); }), Catch::Contains("expected string"));
  CHECK_THAT(error_of([] { load_config("", {"run=3"}); }), Catch::Contains("expected a section"));
  CHECK_THAT(error_of([] { load_config("", {"run.seed.x=3"}); }), Catch::Contains("run.seed': expected integer, got a section"));
  CHECK_THAT(error_of([] { load_config(fixture("child.yaml"), {"run.seed.x=3"}); }), Catch::Contains("is a value, not a section"));
  CHECK_THAT(error_of([] { load_config("", {"noequals"}); }), Catch::Contains("key.path=value"));
}

TEST_CASE("config: validate() after merging names key and value", "[unit][config]") {
  auto msg = error_of([] { load_config("", {"run.device=tpu"}); });
  CHECK_THAT(msg, Catch::Contains("run.device"));
  CHECK_THAT(msg, Catch::Contains("'tpu'"));
  CHECK_THAT(error_of([] { load_config("", {"run.threads=-1"}); }), Catch::Contains("run.threads"));
}

TEST_CASE("config: file errors (missing, cycle, syntax, non-mapping)", "[unit][config]") {
  CHECK_THAT(error_of([] { load_config(fixture("nope.yaml")); }), Catch::Contains("does not exist"));
  CHECK_THAT(error_of([] { load_config(fixture("cycle_a.yaml")); }), Catch::Contains("cycle"));
  CHECK_THAT(error_of([] { load_config(fixture("syntax.yaml")); }), Catch::Contains("syntax error"));
  CHECK_THAT(error_of([] { parse_config("- a\n- b\n"); }), Catch::Contains("top level must be a mapping"));
  // Found by the config fuzzer (tools/fuzz/config.cpp): mappings/lists as keys used to escape as
  // YAML::BadConversion and terminate the program.
  CHECK_THAT(error_of([] { parse_config("{run:, {seed: [1, 2]}}"); }), Catch::Contains("must be a plain name"));
  CHECK_THAT(error_of([] { parse_config("run:\n  [a, b]: 1\n"); }), Catch::Contains("line 2"));
  CHECK_THAT(error_of([] { parse_config("", {"run={[x]: 1}"}); }), Catch::Contains("override"));
}

TEST_CASE("config: resolved config round-trips through YAML to the same value", "[unit][config]") {
  VdfConfig a = load_config(fixture("child.yaml"), {"run.name=round"});
  std::string text = to_yaml(a);
  vdf::testing::TempDir tmp;
  vdf::write_file_atomic(tmp / "resolved.yaml", text);
  VdfConfig b = load_config((tmp / "resolved.yaml").string());
  CHECK(to_yaml(b) == text);
  CHECK(b.run.name == "round");
}

TEST_CASE("config: generic binding of lists, nested sections and lists of sections", "[unit][config]") {
  Document doc = parse_document("flag: true\ncount: 5\nitems:\n  - values: [3, 4.5]\n  - {}\ninner: {values: []}\n", "t");
  Sample s = bind<Sample>(doc);
  CHECK(s.flag);
  CHECK(s.count == 5);
  REQUIRE(s.items.size() == 2);
  CHECK(s.items[0].values == std::vector<double>{3.0, 4.5});
  CHECK(s.items[1].values == std::vector<double>{1.5, 2.0});
  CHECK(s.inner.values.empty());
  Document again = parse_document(to_yaml(s), "again");
  CHECK(to_yaml(bind<Sample>(again)) == to_yaml(s));

  CHECK_THAT(error_of([] { bind<Sample>(parse_document("flag: yes please\n", "t")); }), Catch::Contains("expected bool"));
  CHECK_THAT(error_of([] { bind<Sample>(parse_document("items: [{valuez: [1]}]\n", "t")); }),
             Catch::Contains("items[0].valuez"));
  CHECK_THAT(error_of([] { bind<Sample>(parse_document("inner: {values: [a]}\n", "t")); }),
             Catch::Contains("inner.values[0]"));
  CHECK_THAT(error_of([] { bind<Sample>(parse_document("count: -2\n", "t")); }), Catch::Contains("count"));
  auto fields = describe(Sample{});
  CHECK(fields.size() == 5);
}

TEST_CASE("config: doubles are written in shortest round-trip form", "[unit][config]") {
  CHECK(Writer::format_double(0.1) == "0.1");
  CHECK(Writer::format_double(1.0) == "1.0");
  CHECK(Writer::format_double(1e-4) == "0.0001");
  double v;
  REQUIRE(parse_double(Writer::format_double(1.0 / 3.0), &v));
  CHECK(v == 1.0 / 3.0);
}

TEST_CASE("config: validate() errors name the file and line of the key", "[unit][config]") {
  vdf::testing::TempDir tmp;
  vdf::write_file_atomic(tmp / "bad.yaml", "run:\n  name: ok\n  threads: -3\n");
  auto msg = error_of([&] { load_config((tmp / "bad.yaml").string()); });
  CHECK_THAT(msg, Catch::Contains("run.threads"));
  CHECK_THAT(msg, Catch::Contains("bad.yaml:3"));
  CHECK_THAT(error_of([] { load_config("", {"run.threads=-1"}); }), Catch::Contains("command line override"));
}

TEST_CASE("config: choices are enums read by name, rejected at load time with the allowed names", "[unit][config]") {
  CHECK(bind<Kinded>(parse_document("colour: dark-blue\n", "t")).colour == Colour::dark_blue);
  auto msg = error_of([] { bind<Kinded>(parse_document("\ncolour: green\n", "t.yaml")); });
  CHECK_THAT(msg, Catch::Contains("config key 'colour' (t.yaml:2)"));
  CHECK_THAT(msg, Catch::Contains("expected red or dark-blue"));
  CHECK(to_yaml(Kinded{}).find("colour: red") != std::string::npos);
  CHECK(describe(Kinded{})[0].type == "red | dark-blue");
  CHECK(enum_name(Colour::dark_blue) == "dark-blue");
}

TEST_CASE("config: a kind-specific key that does not apply is an error", "[unit][config]") {
  Kinded k = bind<Kinded>(parse_document("colour: dark-blue\nblue_only: {values: [1]}\n", "t"));
  CHECK(k.blue_only.values == std::vector<double>{1.0});
  CHECK(to_yaml(k).find("blue_only") != std::string::npos);
  auto msg = error_of([] { bind<Kinded>(parse_document("colour: red\nblue_only: {values: [1]}\n", "t.yaml")); });
  CHECK_THAT(msg, Catch::Contains("'blue_only' (t.yaml:2) does not apply"));
  CHECK_THAT(msg, Catch::Contains("colour is dark-blue"));
  CHECK(to_yaml(Kinded{}).find("blue_only") == std::string::npos);  // resolved YAML reads back
  CHECK(describe(Kinded{}).size() == 2);
  // An override that sets a key of the kind the file did not choose is an error too.
  Document d1 = parse_document("colour: red\n", "t.yaml");
  apply_override(d1, "blue_only.values=[2]");
  CHECK_THAT(error_of([&] { bind<Kinded>(d1); }), Catch::Contains("does not apply"));
  // A later layer that switches the kind drops the keys of the old kind it inherited.
  Document d2 = parse_document("colour: dark-blue\nblue_only: {values: [1]}\n", "t.yaml");
  apply_override(d2, "colour=red");
  CHECK(bind<Kinded>(d2).colour == Colour::red);
}

TEST_CASE("config: a child file that switches data.source drops the base's keys of the old source", "[unit][config]") {
  vdf::testing::TempDir tmp;
  vdf::write_file_atomic(tmp / "base.yaml", "data:\n  source: synthetic\n  synthetic: {size: 5}\n");
  vdf::write_file_atomic(tmp / "child.yaml", "_base_: base.yaml\ndata: {source: shards, shards: some/dir}\n");
  VdfConfig c = load_config((tmp / "child.yaml").string());
  CHECK(c.data.source == DataSource::shards);
  CHECK(to_yaml(c).find("synthetic:\n    size") == std::string::npos);
  CHECK(c.data.synthetic.size == 64);  // the base's value was dropped, not read
  vdf::write_file_atomic(tmp / "bad.yaml", "data:\n  source: shards\n  synthetic: {size: 5}\n");
  auto msg = error_of([&] { load_config((tmp / "bad.yaml").string()); });
  CHECK_THAT(msg, Catch::Contains("data.synthetic"));
  CHECK_THAT(msg, Catch::Contains("bad.yaml:3"));
  CHECK_THAT(error_of([] { load_config("", {"vae.taehv.latent_channels=4"}); }), Catch::Contains("vae.kind is taehv"));
  auto over = error_of([&] { load_config((tmp / "child.yaml").string(), {"data.synthetic.size=3"}); });
  CHECK_THAT(over, Catch::Contains("'data.synthetic' (command line override) does not apply"));
}
