// CLIP score: the clamp conventions on known numbers, and the whole path (ClipExtractor: preprocessing,
// tokenizer, ViT-B/32 towers; 100·cos; torchmetrics reduction) against ../shared/golden/clip, which holds
// torchmetrics' clip_score on openai/CLIP with the recipe weights.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "eval/metrics/clip_score.h"
#include "tests/eval/eval_test_util.h"

using namespace vdf::eval;
using vdf::eval::testing::golden;

namespace {
torch::Tensor scores(std::vector<double> v) { return torch::tensor(v, torch::kFloat64); }
}  // namespace

TEST_CASE("clip score: none / torchmetrics / per-sample reductions", "[unit][eval][clip]") {
  const std::vector<torch::Tensor> a = {scores({10, -30}), scores({20, 40, 30})};  // clip means -10 and 30
  auto none = reduce_clip_scores(a, ClipClamp::none);
  CHECK(none.per_clip == std::vector<double>{-10, 30});
  CHECK(none.value == Approx(10));
  CHECK(none.frames == std::vector<int64_t>{2, 3});
  auto tm = reduce_clip_scores(a, ClipClamp::torchmetrics);
  CHECK(tm.per_clip == std::vector<double>{0, 30});           // max(mean, 0) per clip
  CHECK(tm.per_clip_unclamped == std::vector<double>{-10, 30});
  CHECK(tm.value == Approx(10));                              // max(mean of unclamped clip means, 0)
  auto ps = reduce_clip_scores(a, ClipClamp::per_sample);
  CHECK(ps.per_clip == std::vector<double>{5, 30});           // max(s, 0) per pair, then the mean
  CHECK(ps.value == Approx(17.5));
  const std::vector<torch::Tensor> b = {scores({-50, -10}), scores({10})};  // means -30 and 10
  CHECK(reduce_clip_scores(b, ClipClamp::torchmetrics).value == 0.0);     // clamp applies to the mean
  CHECK(reduce_clip_scores(b, ClipClamp::none).value == Approx(-10));
  CHECK(parse_clip_clamp("per-sample") == ClipClamp::per_sample);
  CHECK_THROWS_AS(parse_clip_clamp("clip"), vdf::Error);
  CHECK_THROWS_AS(reduce_clip_scores({}, ClipClamp::none), vdf::Error);
  // 100 * cos, independent of the embedding norms
  auto img = torch::tensor({{3.0f, 4.0f}, {1.0f, 0.0f}});
  auto txt = torch::tensor({{6.0f, 8.0f}, {0.0f, 2.0f}});
  auto s = clip_pair_scores(img, txt);
  CHECK(s[0].item<double>() == Approx(100.0));
  CHECK(s[1].item<double>() == Approx(0.0).margin(1e-9));
}

TEST_CASE("clip score: torchmetrics clip_score parity on ViT-B/32 with recipe weights", "[parity][eval][clip]") {
  EVAL_REQUIRE_SHARED("golden/clip/clip.safetensors");
  EVAL_REQUIRE_SHARED("assets/tokenizers/bpe_simple_vocab_16e6.txt.gz");
  vdf::tensor_io::Metadata md;
  auto g = golden("clip/clip.safetensors", &md);
  const auto texts = nlohmann::json::parse(md.at("texts")).get<std::vector<std::string>>();
  REQUIRE(texts.size() == 4);
  auto net = ClipExtractor::load("recipe:" + vdf::testing::shared("golden/clip/keys.txt").string(), "ViT-B/32",
                                 torch::kCPU, {}, vdf::testing::shared("assets/tokenizers/bpe_simple_vocab_16e6.txt.gz"));
  CHECK_FALSE(net.provenance().standard);
  CHECK_THAT(net.provenance().warning, Catch::Contains("NON-STANDARD"));
  CHECK(net.resolution() == 224);
  // The metric path: three one-frame clips (image i, text i).
  std::vector<Clip> clips;
  for (int i = 0; i < 3; ++i) clips.push_back({"c" + std::to_string(i), g.at("image_" + std::to_string(i) + "_u8").unsqueeze(0), 0});
  auto r = clip_score(net, clips, {texts[0], texts[1], texts[2]}, 0, ClipClamp::torchmetrics, 8);
  auto ref = g.at("clip_score_matched_per_pair_unclamped").to(torch::kFloat64);
  double err = 0;
  for (int i = 0; i < 3; ++i) err = std::max(err, std::abs(r.per_clip_unclamped[i] - ref[i].item<double>()));
  CHECK(err < 2e-4);  // 100·cos: float32 towers, ~1e-5 relative on the embeddings
  CHECK(r.value == Approx(g.at("clip_score_matched_batch").item<double>()).margin(2e-4));  // = 0: negative mean
  for (int i = 0; i < 3; ++i) CHECK(r.per_clip[i] == std::max(r.per_clip_unclamped[i], 0.0));
  // torchmetrics over the pairs (image 1, text 2), (image 1, text 1), (image 1, text 3): clamp on the mean.
  auto img = net.image_embeds(g.at("image_1_u8").unsqueeze(0)).expand({3, -1});
  auto txt = net.text_embeds({texts[2], texts[1], texts[3]});
  auto pair = clip_pair_scores(img, txt);
  auto ref_b = g.at("clip_score_batch_b_per_pair_unclamped").to(torch::kFloat64);
  const double err_b = (pair - ref_b).abs().max().item<double>();
  CHECK(err_b < 2e-4);
  const double batch_b = reduce_clip_scores({pair}, ClipClamp::torchmetrics).value;
  CHECK(batch_b == Approx(g.at("clip_score_batch_b").item<double>()).margin(2e-4));
  WARN("clip score parity: per-pair max abs err " << err << " / " << err_b << "; batch_b " << batch_b << " vs "
                                                 << g.at("clip_score_batch_b").item<double>());
}
