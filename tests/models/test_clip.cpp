// CLIP ViT-B/32 (recipe weights) against ../shared/golden/clip: preprocessing, image and text
// embeddings, logits; plus the recipe itself against golden/recipe, sizes and key names.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "framework/core/error.h"
#include "framework/models/clip/clip_loader.h"
#include "framework/models/clip/clip_model.h"
#include "framework/models/clip/preprocess.h"
#include "framework/models/clip/tokenizer.h"
#include "framework/models/text/clip_text_encoder.h"
#include "framework/models/weights.h"
#include "tests/test_support.h"
#include "framework/tensor_io/safetensors.h"

using namespace vdf;
using vdf::testing::has_shared;
using vdf::testing::shared;

namespace {
const char* kClipGolden = "golden/clip/clip.safetensors";
const char* kClipKeys = "golden/clip/keys.txt";
const char* kClipBpe = "assets/tokenizers/bpe_simple_vocab_16e6.txt.gz";

}  // namespace

TEST_CASE("recipe: golden vectors and CLIP checksums", "[unit][parity][clip]") {
  if (!has_shared("golden/recipe/recipe_vectors.safetensors") || !has_shared(kClipKeys)) {
    WARN("skipped: ../shared/golden/recipe absent");
    return;
  }
  auto v = tensor_io::load_safetensors(shared("golden/recipe/recipe_vectors.safetensors"));
  for (const char* key : {"fc.weight", "visual.transformer.resblocks.0.attn.in_proj_weight"}) {
    auto u = v.at(std::string("u_first8/") + key);  // u values; role "other" gives 0.02*u
    auto t = models::recipe_tensor(key, {8}, "other");
    CHECK(vdf::testing::max_abs(t, (u * 0.02).to(torch::kFloat32)) == 0.0);
  }
  // checksums of every CLIP tensor: numel, sum, sum of squares, first, last
  auto sums = tensor_io::load_safetensors(shared("golden/recipe/clip_checksums.safetensors")).at("checksums");
  clip::ClipModel model(clip::ClipConfig::vit_b32());
  models::fill_recipe_from_keys(*model, shared(kClipKeys));
  auto roles = models::recipe_roles(*model);
  std::ifstream in(shared(kClipKeys));
  std::string line;
  int i = 0, role_ok = 0;
  auto sd = models::state_dict(*model);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, shape, role;
    ls >> key >> shape >> role;
    role_ok += roles.at(key) == role;
    auto t = sd.at(key).to(torch::kFloat64).flatten();
    auto row = sums[i];
    CHECK(t.numel() == row[0].item<double>());
    CHECK(std::abs(t.sum().item<double>() - row[1].item<double>()) <= 1e-9 * std::max(1.0, std::abs(row[1].item<double>())));
    CHECK(t[0].item<double>() == row[3].item<double>());
    CHECK(t[-1].item<double>() == row[4].item<double>());
    ++i;
  }
  CHECK(i == 302);
  CHECK(role_ok == 302);  // module-type classification agrees with keys.txt for every key
}

TEST_CASE("clip preprocess: resize, crop, normalize equal the golden", "[unit][parity][clip]") {
  if (!has_shared(kClipGolden)) {
    WARN("skipped: ../shared/" << kClipGolden << " absent");
    return;
  }
  auto g = tensor_io::load_safetensors(shared(kClipGolden));
  for (int i = 0; i < 3; ++i) {
    auto img = g.at("image_" + std::to_string(i) + "_u8");
    auto rc = clip::clip_resize_crop(img, 224);
    auto ref = g.at("image_" + std::to_string(i) + "_resized_cropped_u8");
    auto diff = (rc.to(torch::kInt32) - ref.to(torch::kInt32)).abs().max().item<int>();
    INFO("image " << i);
    CHECK(diff == 0);
    auto x = clip::clip_preprocess(img, 224);
    CHECK(vdf::testing::max_abs(x, g.at("images_preprocessed")[i]) < 1e-6);
  }
}

TEST_CASE("clip ViT-B/32: image and text embeddings match the golden", "[parity][clip]") {
  if (!has_shared(kClipGolden) || !has_shared(kClipKeys)) {
    WARN("skipped: ../shared/golden/clip absent");
    return;
  }
  auto g = tensor_io::load_safetensors(shared(kClipGolden));
  clip::ClipModel model(clip::ClipConfig::vit_b32());
  models::fill_recipe_from_keys(*model, shared(kClipKeys));
  model->eval();
  torch::NoGradGuard ng;
  auto img = model->encode_image(g.at("images_preprocessed"));
  auto txt = model->encode_text(g.at("text_tokens"));
  const double ri = vdf::testing::rel_err(img, g.at("image_embeds")), rt = vdf::testing::rel_err(txt, g.at("text_embeds"));
  const double ri64 = vdf::testing::rel_err(img, g.at("image_embeds_f64_reference")), rt64 = vdf::testing::rel_err(txt, g.at("text_embeds_f64_reference"));
  WARN("clip image_embeds max rel err " << ri << " (vs f64 " << ri64 << "), max abs " << vdf::testing::max_abs(img, g.at("image_embeds"))
                                        << "; text_embeds max rel err " << rt << " (vs f64 " << rt64 << "), max abs "
                                        << vdf::testing::max_abs(txt, g.at("text_embeds")));
  CHECK(ri < 1e-4);
  CHECK(rt < 1e-4);
  auto [logits, logits_t] = model->forward(g.at("images_preprocessed"), g.at("text_tokens"));
  CHECK(vdf::testing::rel_err(logits, g.at("logits_per_image")) < 1e-4);
  if (has_shared(kClipBpe)) {
    // the golden tokens are the tokenizer's output for the metadata texts
    auto meta_texts = std::vector<std::string>{
        "an astronaut in a white suit standing on an orange lift next to a giant golden mirror",
        "a television test pattern with colored vertical bars and a moving diagonal line",
        "a dog running along the beach at sunset",
        "A timelapse video of clouds rolling over snowy mountains, 4k"};
    clip::ClipTokenizer tok(shared(kClipBpe));
    CHECK(torch::equal(tok.tokenize(meta_texts), g.at("text_tokens")));
  }
}

TEST_CASE("clip sizes: key names and shapes", "[unit][clip]") {
  auto b32 = models::state_dict(*clip::ClipModel(clip::ClipConfig::vit_b32()));
  CHECK(b32.size() == 302);
  if (has_shared(kClipKeys)) {
    std::ifstream in(shared(kClipKeys));
    std::string key, shape, role;
    while (in >> key >> shape >> role) {
      INFO(key);
      REQUIRE(b32.count(key) == 1);
    }
  }
  auto l14 = models::state_dict(*clip::ClipModel(clip::ClipConfig::vit_l14()));
  CHECK(l14.at("visual.conv1.weight").sizes() == torch::IntArrayRef({1024, 3, 14, 14}));
  CHECK(l14.at("visual.positional_embedding").sizes() == torch::IntArrayRef({257, 1024}));
  CHECK(l14.at("visual.proj").sizes() == torch::IntArrayRef({1024, 768}));
  CHECK(l14.at("text_projection").sizes() == torch::IntArrayRef({768, 768}));
  CHECK(l14.count("visual.transformer.resblocks.23.mlp.c_proj.weight") == 1);
  CHECK(l14.count("transformer.resblocks.11.attn.in_proj_weight") == 1);
  CHECK(l14.count("transformer.resblocks.12.attn.in_proj_weight") == 0);
}

TEST_CASE("clip text encoder: tiny recipe config, mask and pooled", "[unit][clip]") {
  if (!has_shared(kClipBpe)) {
    WARN("skipped: ../shared/" << kClipBpe << " absent");
    return;
  }
  config::TextEncoderConfig cfg;
  cfg.size = "tiny";
  cfg.device = "cpu";
  cfg.tokenizer_path = shared(kClipBpe).string();
  auto enc = text::make_text_encoder(cfg);
  CHECK_FALSE(enc->pretrained());
  CHECK(enc->name().find("not pretrained") != std::string::npos);
  CHECK(enc->dim() == 64);
  CHECK(enc->pooled_dim() == 64);
  CHECK(enc->max_length() == 77);
  auto e = enc->encode({"a red ball moving left", "a dog"});
  REQUIRE(e.tokens.sizes() == torch::IntArrayRef({2, 77, 64}));
  REQUIRE(e.pooled.sizes() == torch::IntArrayRef({2, 64}));
  CHECK(e.mask.scalar_type() == torch::kBool);
  CHECK(e.mask[0].sum().item<int64_t>() == 7);  // SOT + 5 words + EOT
  CHECK(e.mask[1].sum().item<int64_t>() == 4);
  // deterministic: a second encoder gives identical output; pooled = EOT token @ text_projection
  auto e2 = text::make_text_encoder(cfg)->encode({"a red ball moving left", "a dog"});
  CHECK(torch::equal(e.pooled, e2.pooled));
  auto* ce = dynamic_cast<text::ClipTextEncoder*>(enc.get());
  REQUIRE(ce);
  auto expect = torch::matmul(e.tokens[1][3], ce->model()->text_projection);
  CHECK(vdf::testing::max_abs(e.pooled[1], expect) < 1e-5);
  // causal: the pooled embedding of "a dog" does not change when padded differently (max_length 16)
  cfg.max_length = 16;
  auto e3 = text::make_text_encoder(cfg)->encode({"a dog"});
  CHECK(vdf::testing::max_abs(e3.pooled[0], e.pooled[1]) < 1e-5);
  cfg.size = "huge";
  CHECK_THROWS_WITH(text::make_text_encoder(cfg), Catch::Contains("text_encoder.size"));
}
