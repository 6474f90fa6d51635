// Synthetic shapes dataset and the attribute checker that judges generated clips.
#include <catch2/catch.hpp>

#include <set>

#include "data/synthetic/shapes.h"
#include "eval/attributes/attribute_check.h"

using namespace vdf;
namespace synth = vdf::data::synthetic;

TEST_CASE("synthetic: captions round-trip and the held-out split keeps every word in training", "[unit][quickstart]") {
  auto all = synth::all_combinations(4);
  CHECK(all.size() == 4 * 3 * 4);
  for (const auto& a : all) CHECK(synth::parse_caption(synth::caption_of(a)) == a);
  CHECK_THROWS_WITH(synth::parse_caption("a purple blob"), Catch::Contains("a purple blob"));
  std::vector<synth::Attributes> train, test;
  synth::split_combinations(all, 8, 1, &train, &test);
  CHECK(test.size() == 8);
  CHECK(train.size() == 40);
  std::set<std::string> words;
  for (const auto& a : train) words.insert({a.color, a.shape, a.direction});
  for (const auto& a : test) {
    CHECK(words.count(a.color));
    CHECK(words.count(a.shape));
    CHECK(words.count(a.direction));
  }
}

TEST_CASE("attribute check: >= 98% right on rendered dataset clips", "[unit][quickstart]") {
  synth::RenderOptions opt;
  opt.noise = 3.0;
  std::vector<eval::AttributeResult> results;
  int i = 0;
  for (const auto& a : synth::all_combinations(6)) {
    for (int k = 0; k < 2; ++k, ++i) {
      double jx = ((i * 37) % 21 - 10) / 10.0, jy = ((i * 53) % 21 - 10) / 10.0;
      auto clip = synth::render_clip(a, opt, jx, jy, i);
      results.push_back(eval::check_attributes(clip, synth::caption_of(a)));
    }
  }
  auto s = eval::summarize(results);
  INFO("color " << s.color_accuracy << " shape " << s.shape_accuracy << " direction " << s.direction_accuracy);
  CHECK(s.count == 144);
  CHECK(s.joint_accuracy >= 0.98);
}

TEST_CASE("attribute check: a blank clip matches nothing, a wrong prompt fails", "[unit][quickstart]") {
  auto blank = torch::full({8, 64, 64, 3}, 48, torch::kUInt8);
  auto r = eval::check_attributes(blank, "a red circle moving left");
  CHECK_FALSE(r.joint_ok());
  auto clip = synth::render_clip({"red", "circle", "left"}, synth::RenderOptions{});
  CHECK(eval::check_attributes(clip, "a red circle moving left").joint_ok());
  auto wrong = eval::check_attributes(clip, "a blue square moving up");
  CHECK_FALSE(wrong.color_ok);
  CHECK_FALSE(wrong.shape_ok);
  CHECK_FALSE(wrong.direction_ok);
}
