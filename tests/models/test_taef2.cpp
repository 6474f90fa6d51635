// TAEF2 with the real weights against ../shared/golden/taef2 (madebyollin/taesd, float32 CPU), and the
// VAE interface around it (time folding, chunking, config factory).
#include <catch2/catch.hpp>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/models/vae/taef2.h"
#include "framework/models/vae/vae.h"
#include "tests/test_support.h"
#include "framework/tensor_io/safetensors.h"

using namespace vdf;
using vdf::testing::has_shared;
using vdf::testing::shared;

namespace {
const char* kEnc = "assets/vae/taef2_encoder.pth";
const char* kDec = "assets/vae/taef2_decoder.pth";
const char* kTaef2Golden = "golden/taef2/taef2.safetensors";


double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  auto mse = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).pow(2).mean().item<double>();
  return 10.0 * std::log10(1.0 / mse);
}
}  // namespace

TEST_CASE("taef2: latents and decoded frames match the golden", "[parity][vae]") {
  if (!vdf::testing::require_shared({kEnc, kDec, kTaef2Golden})) return;
  auto vae = vae::TaesdVae::taef2(shared(kEnc), shared(kDec));
  auto g = tensor_io::load_safetensors(shared(kTaef2Golden));
  const double golden_psnr[3] = {33.540172, 27.052525, 23.985890};
  for (int i = 0; i < 3; ++i) {
    auto input = g.at("input_" + std::to_string(i));
    // the stored input is uint8/255 of the stored image
    auto img = g.at("image_" + std::to_string(i) + "_u8").permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32) / 255.0f;
    CHECK(vdf::testing::max_abs(img, input) == 0.0);
    auto lat = vae->encode_images(input);
    auto ref_lat = g.at("latents_" + std::to_string(i));
    REQUIRE(lat.sizes() == ref_lat.sizes());
    const double lat_rel = vdf::testing::rel_err(lat, ref_lat);
    const double lat_rel64 = vdf::testing::rel_err(lat, g.at("latents_" + std::to_string(i) + "_f64_reference"));
    // decode the golden latents (isolates the decoder) and our latents (the full round trip)
    auto dec = vae->decode_images(ref_lat);
    auto dec_ours = vae->decode_images(lat);
    auto ref_dec = g.at("decoded_" + std::to_string(i));
    const double dec_abs = vdf::testing::max_abs(dec, ref_dec);
    const double dec_ours_abs = vdf::testing::max_abs(dec_ours, ref_dec);
    const double p = psnr(dec_ours, input);
    WARN("taef2 image " << i << ": latents max rel err " << lat_rel << " (vs f64 " << lat_rel64 << "), decoded max abs err "
                        << dec_abs << " (from our latents " << dec_ours_abs << "), PSNR " << p << " dB (golden "
                        << golden_psnr[i] << ")");
    CHECK(lat_rel < 1e-4);
    CHECK(dec_abs < 1e-5);
    CHECK(dec_ours_abs < 1e-4);
    CHECK(std::abs(p - golden_psnr[i]) < 1e-3);
  }
}

TEST_CASE("taef2: video interface folds time into batch and chunks", "[unit][vae]") {
  if (!vdf::testing::require_shared({kEnc, kDec, kTaef2Golden})) return;
  auto g = tensor_io::load_safetensors(shared(kTaef2Golden));
  auto frame = g.at("input_0");  // [1,3,144,256]
  // B=2, T=3 video: frames are the golden frame, flipped, and darkened
  auto f1 = frame.flip(3), f2 = frame * 0.5;
  auto clip_a = torch::stack({frame[0], f1[0], f2[0]}, 1);  // [3,T,H,W]
  auto video = torch::stack({clip_a, clip_a.flip(1)}, 0);    // [2,3,3,H,W]
  config::VaeConfig cfg;
  cfg.kind = config::VaeKind::taef2;
  cfg.taef2.encoder_path = shared(kEnc).string();
  cfg.taef2.decoder_path = shared(kDec).string();
  cfg.device = "cpu";
  cfg.chunk_frames = 2;  // 6 frames in 3 chunks
  auto vae = vae::make_vae(cfg);
  CHECK(vae->info().latent_channels == 32);
  CHECK(vae->info().ct == 1);
  CHECK(vae->info().ch == 8);
  CHECK(vae->info().weights_sha256.size() == 64 * 2 + 1);
  auto z = vae->encode(video);
  REQUIRE(z.sizes() == torch::IntArrayRef({2, 32, 3, 18, 32}));
  auto ref = g.at("latents_0")[0];
  CHECK(vdf::testing::rel_err(z[0].select(1, 0), ref) < 1e-4);
  CHECK(vdf::testing::rel_err(z[1].select(1, 2), ref) < 1e-4);
  auto [mean, logvar] = vae->encode_posterior(video);
  CHECK(torch::equal(mean, z));
  CHECK(std::isinf(logvar.max().item<float>()));
  auto x = vae->decode(z);
  REQUIRE(x.sizes() == video.sizes());
  CHECK(x.min().item<float>() >= 0.0f);
  CHECK(x.max().item<float>() <= 1.0f);
  CHECK(vae->latent_frames(17) == 17);
  CHECK_THROWS_AS(vae->encode(torch::zeros({1, 3, 1, 20, 20})), vdf::Error);
}

TEST_CASE("vae config: errors name the key", "[unit][vae]") {
  // An unknown kind is rejected when the config is read (the enum cannot hold it).
  CHECK_THROWS_WITH(config::parse_config("vae:\n  kind: nope\n"), Catch::Contains("vae.kind"));
  config::VaeConfig cfg;
  cfg.kind = config::VaeKind::taef2;
  cfg.taef2.encoder_path = "/nonexistent/enc.pth";
  cfg.taef2.decoder_path = "/nonexistent/dec.pth";
  CHECK_THROWS_WITH(vae::make_vae(cfg), Catch::Contains("/nonexistent/enc.pth"));
}

TEST_CASE("random-tiny VAE: shapes and deterministic weights", "[unit][vae]") {
  config::VaeConfig cfg;
  cfg.kind = config::VaeKind::random_tiny;
  cfg.device = "cpu";
  auto a = vae::make_vae(cfg);
  auto b = vae::make_vae(cfg);
  CHECK_FALSE(a->info().pretrained);
  CHECK(a->info().name.find("not pretrained") != std::string::npos);
  auto video = torch::rand({1, 3, 5, 32, 48});
  auto za = a->encode(video);
  REQUIRE(za.sizes() == torch::IntArrayRef({1, 4, 5, 4, 6}));
  CHECK(torch::equal(za, b->encode(video)));
  CHECK(a->decode(za).sizes() == video.sizes());
}
