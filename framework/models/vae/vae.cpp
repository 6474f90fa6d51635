#include "framework/models/vae/vae.h"

#include <limits>

#include "framework/core/error.h"
#include "framework/models/asset_path.h"
#include "framework/models/device.h"
#include "framework/models/vae/taef2.h"
#include "framework/models/vae/taehv.h"
#include "framework/models/vae/wan_vae.h"

namespace vdf::vae {

std::pair<torch::Tensor, torch::Tensor> Vae::encode_posterior(const torch::Tensor& video) {
  auto mean = encode(video);
  auto logvar = torch::full_like(mean, -std::numeric_limits<float>::infinity());
  return {mean, logvar};
}

int64_t Vae::latent_frames(int64_t frames) const {
  const int64_t ct = info().ct;
  return (frames + ct - 1) / ct;
}

int64_t Vae::decoded_frames(int64_t latent_frames) const {
  const int64_t ct = info().ct;
  return ct == 1 ? latent_frames : latent_frames * ct - (ct - 1);
}

torch::Tensor map_frames(const torch::Tensor& video, int64_t chunk_frames,
                         const std::function<torch::Tensor(const torch::Tensor&)>& fn) {
  VDF_CHECK(video.dim() == 5, "map_frames: expected [B,C,T,H,W], got {}", fmt::join(video.sizes(), ","));
  VDF_CHECK(chunk_frames > 0, "map_frames: chunk_frames must be > 0");
  const int64_t B = video.size(0), T = video.size(2);
  auto frames = video.permute({0, 2, 1, 3, 4}).reshape({B * T, video.size(1), video.size(3), video.size(4)});
  std::vector<torch::Tensor> outs;
  for (int64_t i = 0; i < B * T; i += chunk_frames)
    outs.push_back(fn(frames.slice(0, i, std::min(B * T, i + chunk_frames)).contiguous()));
  auto y = torch::cat(outs, 0);
  return y.reshape({B, T, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}

std::unique_ptr<Vae> make_vae(const config::VaeConfig& c) {
  c.validate(config::Check("vae"));
  std::unique_ptr<Vae> v;
  switch (c.kind) {
    case config::VaeKind::taef2: {
      auto enc = c.taef2.encoder_path.empty() ? models::shared_asset("assets/vae/taef2_encoder.pth")
                                              : std::filesystem::path(c.taef2.encoder_path);
      auto dec = c.taef2.decoder_path.empty() ? models::shared_asset("assets/vae/taef2_decoder.pth")
                                              : std::filesystem::path(c.taef2.decoder_path);
      v = TaesdVae::taef2(enc, dec, c.chunk_frames);
      break;
    }
    case config::VaeKind::taehv: {
      TaehvArch arch;
      arch.latent_channels = c.taehv.latent_channels;
      v = c.taehv.weights_path.empty()
              ? std::unique_ptr<Vae>(TaehvVae::recipe(arch, c.chunk_frames))
              : std::unique_ptr<Vae>(TaehvVae::from_file(c.taehv.weights_path, arch, c.chunk_frames));
      break;
    }
    case config::VaeKind::wan: {
      WanVaeArch arch = wan21_arch();  // the architecture of random weights and of config-less single files
      arch.base_dim = arch.decoder_base_dim = c.wan.base_dim;
      arch.num_res_blocks = c.wan.num_res_blocks;
      WanTiling tiling;
      tiling.enabled = c.wan.tiling;
      tiling.min_height = c.wan.tile_height;
      tiling.min_width = c.wan.tile_width;
      tiling.stride_height = c.wan.tile_stride_height;
      tiling.stride_width = c.wan.tile_stride_width;
      v = c.wan.path.empty() ? std::unique_ptr<Vae>(WanVae::random(arch, tiling))
                             : std::unique_ptr<Vae>(WanVae::from_path(c.wan.path, arch, tiling));
      break;
    }
    case config::VaeKind::random_tiny: {
      TaesdArch arch;
      arch.width = 16;
      arch.latent_channels = 4;
      arch.midblock_gn = false;
      v = TaesdVae::recipe("random-tiny", arch, c.chunk_frames);
      break;
    }
  }
  VDF_CHECK(v, "config key 'vae.kind': unhandled kind {}", static_cast<int>(c.kind));
  v->to(models::parse_device(c.device), models::parse_dtype(config::enum_name(c.dtype)));
  return v;
}

}  // namespace vdf::vae
