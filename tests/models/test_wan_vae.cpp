// Wan 2.1 VAE parity with the live diffusers AutoencoderKLWan (the pinned reference), loaded through the
// user-facing paths: a diffusers model folder (model_index.json + vae/), the vae/ folder itself, and the
// original single-file naming (Wan2.1_VAE.pth). One Python run builds a tiny random AutoencoderKLWan
// (base_dim 8, z_dim 16, random latents_mean/std and RMS gains), saves it with save_pretrained, writes
// the original-layout .pth (names inverted here, checked against diffusers' own original -> diffusers
// conversion), and saves encode (posterior mean and log-variance) / decode outputs of 1, 9 and 17
// frames, untiled and tiled.
//
// Tolerance: fp32, max |vdf - ref| / max |ref| <= 1e-4 (measured ~1e-6; see docs/models.md).
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>

#include "framework/config/schema/vae.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/models/vae/wan_vae.h"
#include "framework/models/vae/wan_weights.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"

using namespace vdf;
namespace fs = std::filesystem;

namespace {

constexpr double kWanTol = 1e-4;  // relative to the reference's max |value|

const char* kWanReferenceScript = R"PY(
import json, os, sys, torch
from safetensors.torch import save_file
from diffusers import AutoencoderKLWan
from diffusers.loaders.single_file_utils import convert_wan_vae_to_diffusers
torch.set_num_threads(2)
out = sys.argv[1]
torch.manual_seed(0)
mean = (torch.randn(16) * 0.5).tolist()
std = (torch.rand(16) * 2 + 0.5).tolist()
vae = AutoencoderKLWan(base_dim=8, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                       temperal_downsample=[False, True, True], latents_mean=mean, latents_std=std).eval()
with torch.no_grad():
    for n, p in vae.named_parameters():
        if n.endswith('gamma'):
            p.add_(torch.randn_like(p) * 0.1)
        elif n.endswith('bias'):
            p.add_(torch.randn_like(p) * 0.05)
model = os.path.join(out, 'model')
vae.save_pretrained(os.path.join(model, 'vae'))
json.dump({'_class_name': 'WanPipeline', 'vae': ['diffusers', 'AutoencoderKLWan']},
          open(os.path.join(model, 'model_index.json'), 'w'))

# the original Wan2.1_VAE.pth naming: invert diffusers' names, then check with diffusers' own conversion
sd = vae.state_dict()
def to_original(k):
    res = {'norm1.': 'residual.0.', 'conv1.': 'residual.2.', 'norm2.': 'residual.3.', 'conv2.': 'residual.6.',
           'conv_shortcut.': 'shortcut.'}
    def resblock(prefix, rest):
        for a, b in res.items():
            if rest.startswith(a):
                return prefix + b + rest[len(a):]
        raise KeyError(k)
    for side in ('encoder', 'decoder'):
        for a, b in (('conv_in.', 'conv1.'), ('norm_out.', 'head.0.'), ('conv_out.', 'head.2.'),
                     ('mid_block.attentions.0.', 'middle.1.')):
            if k.startswith(side + '.' + a):
                return side + '.' + b + k[len(side + '.' + a):]
        for i in (0, 1):
            p = side + '.mid_block.resnets.%d.' % i
            if k.startswith(p):
                return resblock(side + '.middle.%d.' % (2 * i), k[len(p):])
    if k.startswith('quant_conv.'):
        return 'conv1.' + k[len('quant_conv.'):]
    if k.startswith('post_quant_conv.'):
        return 'conv2.' + k[len('post_quant_conv.'):]
    if k.startswith('encoder.down_blocks.'):
        parts = k.split('.')
        prefix = 'encoder.downsamples.%s.' % parts[2]
        rest = '.'.join(parts[3:])
        if rest.startswith('resample.') or rest.startswith('time_conv.'):
            return prefix + rest
        return resblock(prefix, rest)
    if k.startswith('decoder.up_blocks.'):
        parts = k.split('.')
        i = int(parts[2])
        per = 4  # num_res_blocks + 1 residual blocks, then the upsampler
        if parts[3] == 'resnets':
            return resblock('decoder.upsamples.%d.' % (per * i + int(parts[4])), '.'.join(parts[5:]))
        return 'decoder.upsamples.%d.' % (per * i + 3) + '.'.join(parts[5:])
    raise KeyError(k)
orig = {to_original(k): v for k, v in sd.items()}
back = convert_wan_vae_to_diffusers(orig)
assert set(back) == set(sd), sorted(set(back) ^ set(sd))[:10]
torch.save(orig, os.path.join(out, 'Wan2.1_VAE.pth'))

g = torch.Generator().manual_seed(1)
ins = {
    'v1': torch.rand(2, 3, 1, 32, 32, generator=g),
    'v9': torch.rand(1, 3, 9, 32, 32, generator=g),
    'v17': torch.rand(1, 3, 17, 32, 48, generator=g),
    'vt': torch.rand(1, 3, 5, 48, 64, generator=g),
    'z1': torch.randn(1, 16, 1, 4, 4, generator=g),
    'z3': torch.randn(1, 16, 3, 4, 4, generator=g),
    'z5': torch.randn(1, 16, 5, 4, 6, generator=g),
    'zt': torch.randn(1, 16, 2, 6, 8, generator=g),
}
m = torch.tensor(mean).view(1, 16, 1, 1, 1)
inv_std = 1.0 / torch.tensor(std).view(1, 16, 1, 1, 1)   # as the Wan pipelines compute it
res = dict(ins)
def enc(name):
    d = vae.encode(ins[name] * 2 - 1).latent_dist
    return (d.mean - m) * inv_std, d.logvar + 2 * torch.log(inv_std)
def dec(name):
    y = vae.decode(ins[name] / inv_std + m).sample
    return ((y + 1) / 2).clamp(0, 1)
with torch.no_grad():
    for v in ('v1', 'v9', 'v17'):
        res['enc_' + v], res['logvar_' + v] = enc(v)
    for z in ('z1', 'z3', 'z5'):
        res['dec_' + z] = dec(z)
    vae.enable_tiling(tile_sample_min_height=32, tile_sample_min_width=32, tile_sample_stride_height=24,
                      tile_sample_stride_width=24)
    res['enc_tiled_vt'], _ = enc('vt')
    res['dec_tiled_zt'] = dec('zt')
    vae.disable_tiling()
    res['enc_vt'], _ = enc('vt')
    res['dec_zt'] = dec('zt')
save_file({k: v.contiguous() for k, v in res.items()}, os.path.join(out, 'reference.safetensors'))
print('OK')
)PY";

// One Python run shared by the test cases of this file.
struct WanReference {
  vdf::testing::TempDir dir{"vdf-wan-vae"};
  tensor_io::TensorMap t;
  std::string output;
  bool ok = false;
  fs::path model() const { return dir / "model"; }
};

WanReference* wan_reference() {
  static std::unique_ptr<WanReference> ref;
  if (ref) return ref->ok ? ref.get() : nullptr;
  ref = std::make_unique<WanReference>();
  if (!fs::exists(vdf::testing::python())) return nullptr;
  write_file_atomic(ref->dir / "ref.py", kWanReferenceScript);
  auto r = vdf::testing::run_command("OMP_NUM_THREADS=2 " + vdf::testing::python() + " " +
                                     (ref->dir / "ref.py").string() + " " + ref->dir.path().string());
  ref->output = r.output;
  ref->ok = r.exit_code == 0 && fs::exists(ref->dir / "reference.safetensors");
  if (ref->ok) ref->t = tensor_io::load_safetensors(ref->dir / "reference.safetensors");
  return ref->ok ? ref.get() : nullptr;
}

bool have_python() { return fs::exists(vdf::testing::python()); }

std::unique_ptr<vae::WanVae> load_wan(const fs::path& path, vae::WanTiling tiling = {}) {
  vae::WanVaeArch single = vae::wan21_arch();
  single.base_dim = single.decoder_base_dim = 8;
  return vae::WanVae::from_path(path, single, tiling);
}

}  // namespace

TEST_CASE("wan vae: key names and rename table follow diffusers and Wan2.1_VAE.pth", "[unit][wan_vae]") {
  vae::WanAutoencoder m(vae::wan21_arch());
  auto sd = tensor_io::state_dict(*m);
  for (const char* k :
       {"encoder.conv_in.weight", "encoder.down_blocks.0.norm1.gamma", "encoder.down_blocks.2.resample.1.weight",
        "encoder.down_blocks.5.time_conv.weight", "encoder.down_blocks.3.conv_shortcut.weight",
        "encoder.mid_block.attentions.0.to_qkv.weight", "encoder.norm_out.gamma", "quant_conv.weight",
        "post_quant_conv.bias", "decoder.up_blocks.0.upsamplers.0.time_conv.weight",
        "decoder.up_blocks.2.upsamplers.0.resample.1.weight", "decoder.up_blocks.1.resnets.0.conv_shortcut.weight",
        "decoder.conv_out.weight"})
    CHECK(sd.count(k) == 1);
  CHECK(sd.at("encoder.conv_in.weight").sizes() == torch::IntArrayRef({96, 3, 3, 3, 3}));
  CHECK(sd.at("encoder.conv_out.weight").sizes() == torch::IntArrayRef({32, 384, 3, 3, 3}));
  CHECK(sd.at("decoder.up_blocks.0.upsamplers.0.time_conv.weight").sizes() == torch::IntArrayRef({768, 384, 3, 1, 1}));
  CHECK(sd.at("decoder.up_blocks.1.resnets.0.conv1.weight").sizes() == torch::IntArrayRef({384, 192, 3, 3, 3}));
  CHECK(sd.at("decoder.norm_out.gamma").sizes() == torch::IntArrayRef({96, 1, 1, 1}));
  CHECK(sd.at("encoder.mid_block.attentions.0.norm.gamma").sizes() == torch::IntArrayRef({384, 1, 1}));
  int64_t params = 0;
  for (const auto& [k, v] : sd) params += v.numel();
  CHECK(params == 126892531);  // AutoencoderKLWan() of diffusers 0.42.1: 126,892,531 parameters
  CHECK(sd.size() == 194);
  // the original flat decoder list: level i's 3 residual blocks at 4i..4i+2, its upsampler at 4i+3
  auto rules = vae::wan_original_renames(*m);
  auto has = [&](const std::string& from, const std::string& to) {
    for (const auto& r : rules)
      if (r.from == from) return r.to == to;
    return false;
  };
  CHECK(has("decoder.upsamples.4.shortcut.", "decoder.up_blocks.1.resnets.0.conv_shortcut."));
  CHECK(has("decoder.upsamples.11.", "decoder.up_blocks.2.upsamplers.0."));
  CHECK(has("decoder.upsamples.14.residual.6.", "decoder.up_blocks.3.resnets.2.conv2."));
  CHECK(has("encoder.downsamples.2.", "encoder.down_blocks.2."));
  CHECK(has("encoder.middle.2.residual.3.", "encoder.mid_block.resnets.1.norm2."));
  CHECK(has("conv2.", "post_quant_conv."));
}

TEST_CASE("wan vae: frame counts, causality and errors (random weights)", "[unit][wan_vae]") {
  vae::WanVaeArch arch = vae::wan21_arch();
  arch.base_dim = arch.decoder_base_dim = 8;
  auto v = vae::WanVae::random(arch);
  CHECK_FALSE(v->info().pretrained);
  CHECK(v->info().name.find("(random weights, not pretrained)") != std::string::npos);
  CHECK(v->info().ct == 4);
  CHECK(v->info().ch == 8);
  CHECK(v->info().channel_scale.size() == 16);
  torch::manual_seed(0);
  auto video = torch::rand({1, 3, 9, 16, 24});
  auto z = v->encode(video);
  REQUIRE(z.sizes() == torch::IntArrayRef({1, 16, 3, 2, 3}));
  CHECK(v->latent_frames(9) == 3);
  auto x = v->decode(z);
  REQUIRE(x.sizes() == torch::IntArrayRef({1, 3, 9, 16, 24}));
  CHECK(v->decoded_frames(3) == 9);
  CHECK(x.min().item<float>() >= 0.0f);
  CHECK(x.max().item<float>() <= 1.0f);
  // causal: frames 5..8 (latent 2's group) do not change latents 0 and 1
  auto v2 = video.clone();
  v2.slice(2, 5).uniform_();
  auto z2 = v->encode(v2);
  CHECK(vdf::testing::max_abs(z.slice(2, 0, 2), z2.slice(2, 0, 2)) == 0.0);
  CHECK(vdf::testing::max_abs(z.select(2, 2), z2.select(2, 2)) > 1e-6);
  // wrong frame counts are errors naming the count
  CHECK_THROWS_WITH(v->encode(torch::rand({1, 3, 8, 16, 16})), Catch::Contains("8 frames") && Catch::Contains("1 + 4k"));
  CHECK_THROWS_WITH(v->encode(torch::rand({1, 3, 9, 12, 16})), Catch::Contains("multiples of 8"));
  CHECK_THROWS_WITH(v->decode(torch::zeros({1, 4, 2, 2, 2})), Catch::Contains("[1,4,2,2,2]"));
}

TEST_CASE("wan vae: matches diffusers AutoencoderKLWan (model folder, fp32)", "[parity][wan_vae]") {
  if (!vdf::testing::require_or_skip(have_python(), "the reference Python is absent")) return;
  WanReference* ref = wan_reference();
  REQUIRE(ref);
  INFO(ref->output);
  // the model folder (model_index.json + vae/) through make_vae, as a config names it
  config::VaeConfig cfg;
  cfg.kind = config::VaeKind::wan;
  cfg.wan.path = ref->model().string();
  cfg.device = "cpu";
  auto any = vae::make_vae(cfg);
  auto* v = dynamic_cast<vae::WanVae*>(any.get());
  REQUIRE(v);
  CHECK(v->info().name == "wan2.1-vae");
  CHECK(v->info().weights_sha256.size() == 64);
  CHECK(v->arch().base_dim == 8);
  const auto& t = ref->t;
  for (const char* name : {"v1", "v9", "v17"}) {
    auto [mean, logvar] = v->encode_posterior(t.at(name));
    const auto& want = t.at(std::string("enc_") + name);
    REQUIRE(mean.sizes() == want.sizes());
    WARN("Wan VAE " << name << " encode (posterior mean) vs diffusers: max abs " << vdf::testing::max_abs(mean, want)
                    << ", rel " << vdf::testing::rel_err(mean, want));
    CHECK(vdf::testing::rel_err(mean, want) < kWanTol);
    CHECK(vdf::testing::rel_err(logvar, t.at(std::string("logvar_") + name)) < kWanTol);
  }
  CHECK(t.at("enc_v17").size(2) == 5);  // 17 frames -> 5 latent frames
  for (const char* name : {"z1", "z3", "z5"}) {
    auto x = v->decode(t.at(name));
    const auto& want = t.at(std::string("dec_") + name);
    REQUIRE(x.sizes() == want.sizes());
    WARN("Wan VAE " << name << " decode vs diffusers: max abs " << vdf::testing::max_abs(x, want) << ", rel "
                    << vdf::testing::rel_err(x, want));
    CHECK(vdf::testing::rel_err(x, want) < kWanTol);
  }
}

TEST_CASE("wan vae: spatial tiling matches diffusers' tiled encode/decode and stays near untiled", "[parity][wan_vae]") {
  if (!vdf::testing::require_or_skip(have_python(), "the reference Python is absent")) return;
  WanReference* ref = wan_reference();
  REQUIRE(ref);
  vae::WanTiling tiling;
  tiling.enabled = true;
  tiling.min_height = tiling.min_width = 32;
  tiling.stride_height = tiling.stride_width = 24;
  auto tiled = load_wan(ref->model() / "vae", tiling);  // the vae/ folder itself
  auto plain = load_wan(ref->model() / "vae");
  const auto& t = ref->t;
  auto enc_t = tiled->encode(t.at("vt")), dec_t = tiled->decode(t.at("zt"));
  WARN("Wan VAE tiled encode vs diffusers rel " << vdf::testing::rel_err(enc_t, t.at("enc_tiled_vt")) << ", tiled decode rel "
                           << vdf::testing::rel_err(dec_t, t.at("dec_tiled_zt")));
  CHECK(vdf::testing::rel_err(enc_t, t.at("enc_tiled_vt")) < kWanTol);
  CHECK(vdf::testing::rel_err(dec_t, t.at("dec_tiled_zt")) < kWanTol);
  auto enc_p = plain->encode(t.at("vt")), dec_p = plain->decode(t.at("zt"));
  CHECK(vdf::testing::rel_err(enc_p, t.at("enc_vt")) < kWanTol);
  CHECK(vdf::testing::rel_err(dec_p, t.at("dec_zt")) < kWanTol);
  // tiled vs untiled: every tile has its own zero padding, and 32-pixel tiles are far smaller than the
  // receptive field, so on random weights the tiles differ from the untiled result almost everywhere
  // (measured: encode 0.54, decode 0.50 relative, the same in diffusers); bounded, and nonzero.
  const double enc_gap = vdf::testing::rel_err(enc_t, enc_p), dec_gap = vdf::testing::rel_err(dec_t, dec_p);
  WARN("Wan VAE tiled (32 px tiles, stride 24) vs untiled, random weights: encode rel " << enc_gap << ", decode rel "
                                                                                       << dec_gap);
  CHECK(enc_gap > 0.0);
  CHECK(enc_gap < 1.0);
  CHECK(dec_gap < 1.0);
  // frames no larger than one tile are not tiled: identical to the untiled VAE
  CHECK(torch::equal(tiled->encode(t.at("v9")), plain->encode(t.at("v9"))));
  CHECK(torch::equal(tiled->decode(t.at("z3")), plain->decode(t.at("z3"))));
}

TEST_CASE("wan vae: the original Wan2.1_VAE.pth naming, half-precision files, strict errors", "[parity][wan_vae]") {
  if (!vdf::testing::require_or_skip(have_python(), "the reference Python is absent")) return;
  WanReference* ref = wan_reference();
  REQUIRE(ref);
  auto folder = load_wan(ref->model());
  auto original = load_wan(ref->dir / "Wan2.1_VAE.pth");
  CHECK(original->info().weights_path.find("Wan2.1_VAE.pth") != std::string::npos);
  const auto want = tensor_io::state_dict(*folder->model());
  const auto got = tensor_io::state_dict(*original->model());
  REQUIRE(got.size() == want.size());
  for (const auto& [k, v] : want) CHECK(torch::equal(got.at(k), v));

  // a bf16 file in diffusers names loads into fp32 (values = the bf16 rounding)
  tensor_io::TensorMap half;
  for (const auto& [k, v] : want) half[k] = v.to(torch::kBFloat16).contiguous();
  tensor_io::save_safetensors(ref->dir / "wan_bf16.safetensors", half);
  auto from_half = load_wan(ref->dir / "wan_bf16.safetensors");
  CHECK(from_half->dtype() == torch::kFloat32);
  for (const auto& [k, v] : tensor_io::state_dict(*from_half->model()))
    CHECK(torch::equal(v, want.at(k).to(torch::kBFloat16).to(torch::kFloat32)));

  // strict: a missing key is named with the file
  tensor_io::TensorMap missing(want.begin(), want.end());
  missing.erase("decoder.up_blocks.1.upsamplers.0.time_conv.bias");
  for (auto& [k, v] : missing) v = v.contiguous();
  tensor_io::save_safetensors(ref->dir / "missing.safetensors", missing);
  CHECK_THROWS_WITH(load_wan(ref->dir / "missing.safetensors"),
                    Catch::Contains("decoder.up_blocks.1.upsamplers.0.time_conv.bias") &&
                        Catch::Contains("missing.safetensors"));
  // a file of another architecture: mis-shaped keys are named
  CHECK_THROWS_WITH(vae::WanVae::from_path(ref->dir / "Wan2.1_VAE.pth", vae::wan21_arch()),
                    Catch::Contains("encoder.conv_in.weight") && Catch::Contains("[8,3,3,3,3]"));
  CHECK_THROWS_WITH(load_wan(ref->dir / "nonexistent"), Catch::Contains("nonexistent"));
  CHECK_THROWS_WITH(load_wan(ref->dir.path()), Catch::Contains("neither a diffusers model folder"));
}
