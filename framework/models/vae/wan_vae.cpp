#include "framework/models/vae/wan_vae.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/models/vae/wan_weights.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/weights.h"

namespace vdf::vae {

namespace {

// Upstream's blend_v / blend_h, in place on b: the first `extent` rows (columns) of b fade in over
// the last `extent` rows (columns) of a.
void wan_blend(const torch::Tensor& a, torch::Tensor& b, int64_t extent, int64_t dim) {
  extent = std::min({a.size(dim), b.size(dim), extent});
  for (int64_t y = 0; y < extent; ++y) {
    const double wb = double(y) / double(extent);
    b.select(dim, y).copy_(a.select(dim, a.size(dim) - extent + y) * (1 - wb) + b.select(dim, y) * wb);
  }
}

// Blends a grid of tiles (each overlapping its right and lower neighbours) into one tensor.
torch::Tensor wan_merge_tiles(std::vector<std::vector<torch::Tensor>>& rows, int64_t blend_h, int64_t blend_w,
                              int64_t stride_h, int64_t stride_w, int64_t height, int64_t width) {
  std::vector<torch::Tensor> out_rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<torch::Tensor> out_row;
    for (size_t j = 0; j < rows[i].size(); ++j) {
      auto& tile = rows[i][j];
      if (i > 0) wan_blend(rows[i - 1][j], tile, blend_h, 3);
      if (j > 0) wan_blend(rows[i][j - 1], tile, blend_w, 4);
      out_row.push_back(tile.slice(3, 0, stride_h).slice(4, 0, stride_w));
    }
    out_rows.push_back(torch::cat(out_row, 4));
  }
  return torch::cat(out_rows, 3).slice(3, 0, height).slice(4, 0, width).contiguous();
}

std::string wan_arch_label(const WanVaeArch& a) {
  return fmt::format("base_dim {}, z_dim {}, dim_mult [{}], {} res blocks", a.base_dim, a.z_dim,
                     fmt::join(a.dim_mult, ","), a.num_res_blocks);
}

}  // namespace

WanVae::WanVae(const WanVaeArch& arch, const WanTiling& tiling) : model_(arch), tiling_(tiling) {
  model_->eval();
  VDF_CHECK(tiling.min_height > 0 && tiling.min_width > 0 && tiling.stride_height > 0 && tiling.stride_width > 0 &&
                tiling.stride_height <= tiling.min_height && tiling.stride_width <= tiling.min_width,
            "Wan VAE tiling: tile {}x{} with stride {}x{}: sizes must be > 0 and strides at most the tile size",
            tiling.min_height, tiling.min_width, tiling.stride_height, tiling.stride_width);
  const int64_t s = arch.spatial_factor();
  VDF_CHECK(tiling.min_height % s == 0 && tiling.min_width % s == 0 && tiling.stride_height % s == 0 &&
                tiling.stride_width % s == 0,
            "Wan VAE tiling: tile {}x{} and stride {}x{} must be multiples of the spatial compression {}",
            tiling.min_height, tiling.min_width, tiling.stride_height, tiling.stride_width, s);
  info_.latent_channels = static_cast<int>(arch.z_dim);
  info_.ct = static_cast<int>(arch.temporal_factor());
  info_.ch = info_.cw = static_cast<int>(s);
  info_.pixel_range = "[0,1]";
  info_.deterministic = false;  // a diagonal Gaussian posterior: encode_posterior has a log-variance
  info_.frames_one_plus_ct = true;
  for (size_t c = 0; c < arch.latents_mean.size(); ++c) {
    info_.channel_shift.push_back(arch.latents_mean[c]);
    info_.channel_scale.push_back(1.0 / arch.latents_std[c]);
  }
}

std::unique_ptr<WanVae> WanVae::from_path(const std::filesystem::path& path, const WanVaeArch& single_file_arch,
                                          const WanTiling& tiling) {
  const WanWeightsSource src = resolve_wan_weights(path);
  const WanVaeArch arch = src.config_json.empty() ? single_file_arch : read_wan_vae_config(src.config_json);
  std::unique_ptr<WanVae> v(new WanVae(arch, tiling));
  auto tensors = tensor_io::load_weights_file(src.weights);
  tensor_io::LoadOptions options;
  options.what = "Wan VAE";
  options.source = src.weights.string();
  if (detect_wan_layout(tensors, "Wan VAE '" + src.weights.string() + "'") == WanWeightsLayout::original)
    options.rename = wan_original_renames(*v->model_);
  tensor_io::load_weights(*v->model_, tensors, options);
  v->info_.name = "wan2.1-vae";
  v->info_.pretrained = true;
  v->info_.weights_path = src.weights.string();
  v->info_.weights_sha256 = sha256_file(src.weights);
  return v;
}

std::unique_ptr<WanVae> WanVae::random(const WanVaeArch& arch, const WanTiling& tiling) {
  std::unique_ptr<WanVae> v(new WanVae(arch, tiling));
  // RMS-norm gains are norm weights (1 + 0.1u); convolutions get the fan-in scaled recipe
  tensor_io::fill_recipe(*v->model_, [](const std::string& key) -> std::string {
    auto ends = [&](const std::string& s) { return key.size() >= s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0; };
    if (ends(".gamma")) return "norm_weight";
    if (ends(".bias")) return "bias";
    return "weight";
  });
  v->info_.name = fmt::format("wan2.1-vae {} (random weights, not pretrained)", wan_arch_label(arch));
  v->info_.pretrained = false;
  v->info_.weights_sha256 = fmt::format("recipe:wan2.1-vae:{}", wan_arch_label(arch));
  return v;
}

void WanVae::to(torch::Device device, torch::Dtype dtype) {
  model_->to(device, dtype);
  device_ = device;
  dtype_ = dtype;
}

void WanVae::check_frames(int64_t frames, const char* what) const {
  const int64_t ct = info_.ct;
  VDF_CHECK(frames >= 1 && (frames - 1) % ct == 0,
            "Wan VAE {}: {} frames; the Wan VAE takes 1 + {}k frames (1, {}, {}, ..., 81): set video.clip_frames "
            "accordingly",
            what, frames, ct, 1 + ct, 1 + 2 * ct);
}

std::pair<torch::Tensor, torch::Tensor> WanVae::channel_norm() const {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const auto& a = model_->arch;
  auto mean = torch::tensor(std::vector<float>(a.latents_mean.begin(), a.latents_mean.end()), opts);
  auto stdv = torch::tensor(std::vector<float>(a.latents_std.begin(), a.latents_std.end()), opts);
  auto inv_std = 1.0 / stdv;  // as the Wan pipelines compute it: float32 1 / std
  return {mean.view({1, -1, 1, 1, 1}).to(device_, dtype_), inv_std.view({1, -1, 1, 1, 1}).to(device_, dtype_)};
}

torch::Tensor WanVae::encode_frames(const torch::Tensor& x) {
  const int64_t T = x.size(2), ct = info_.ct;
  WanFeatCache cache;
  std::vector<torch::Tensor> outs;
  for (int64_t t0 = 0; t0 < T; t0 = t0 == 0 ? 1 : t0 + ct) {
    cache.begin_chunk();
    // [0,1] -> [-1,1] per chunk: a whole-clip copy would be as large as the clip
    auto chunk = x.slice(2, t0, t0 == 0 ? 1 : t0 + ct) * 2 - 1;
    // quant_conv is 1x1x1: applying it per chunk equals upstream's one call after the concatenation
    outs.push_back(model_->quant_conv->forward(model_->encoder->forward(chunk, cache)));
  }
  return torch::cat(outs, 2);
}

torch::Tensor WanVae::decode_frames(const torch::Tensor& z) {
  auto x = model_->post_quant_conv->forward(z);
  WanFeatCache cache;
  std::vector<torch::Tensor> outs;
  for (int64_t t = 0; t < x.size(2); ++t) {
    cache.begin_chunk();
    outs.push_back(model_->decoder->forward(x.slice(2, t, t + 1), cache));
  }
  return torch::cat(outs, 2);
}

torch::Tensor WanVae::tiled_encode(const torch::Tensor& x) {
  const int64_t H = x.size(3), W = x.size(4), s = info_.ch;
  const int64_t lat_min_h = tiling_.min_height / s, lat_min_w = tiling_.min_width / s;
  const int64_t lat_stride_h = tiling_.stride_height / s, lat_stride_w = tiling_.stride_width / s;
  std::vector<std::vector<torch::Tensor>> rows;
  for (int64_t i = 0; i < H; i += tiling_.stride_height) {
    rows.emplace_back();
    for (int64_t j = 0; j < W; j += tiling_.stride_width)
      rows.back().push_back(
          encode_frames(x.slice(3, i, i + tiling_.min_height).slice(4, j, j + tiling_.min_width)));
  }
  return wan_merge_tiles(rows, lat_min_h - lat_stride_h, lat_min_w - lat_stride_w, lat_stride_h, lat_stride_w, H / s,
                         W / s);
}

torch::Tensor WanVae::tiled_decode(const torch::Tensor& z) {
  const int64_t h = z.size(3), w = z.size(4), s = info_.ch;
  const int64_t lat_min_h = tiling_.min_height / s, lat_min_w = tiling_.min_width / s;
  const int64_t lat_stride_h = tiling_.stride_height / s, lat_stride_w = tiling_.stride_width / s;
  std::vector<std::vector<torch::Tensor>> rows;
  for (int64_t i = 0; i < h; i += lat_stride_h) {
    rows.emplace_back();
    for (int64_t j = 0; j < w; j += lat_stride_w)
      rows.back().push_back(decode_frames(z.slice(3, i, i + lat_min_h).slice(4, j, j + lat_min_w)));
  }
  return wan_merge_tiles(rows, tiling_.min_height - tiling_.stride_height, tiling_.min_width - tiling_.stride_width,
                         tiling_.stride_height, tiling_.stride_width, h * s, w * s);
}

torch::Tensor WanVae::encode_moments(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const bool tiled = tiling_.enabled && (x.size(4) > tiling_.min_width || x.size(3) > tiling_.min_height);
  return tiled ? tiled_encode(x) : encode_frames(x);
}

torch::Tensor WanVae::decode_raw(const torch::Tensor& z) {
  torch::NoGradGuard no_grad;
  const int64_t s = info_.ch;
  const bool tiled = tiling_.enabled && (z.size(4) > tiling_.min_width / s || z.size(3) > tiling_.min_height / s);
  return (tiled ? tiled_decode(z) : decode_frames(z)).clamp_(-1.0, 1.0);
}

std::pair<torch::Tensor, torch::Tensor> WanVae::encode_posterior(const torch::Tensor& video) {
  VDF_CHECK(video.dim() == 5 && video.size(1) == 3, "Wan VAE encode: expected video [B,3,T,H,W], got [{}]",
            fmt::join(video.sizes(), ","));
  check_frames(video.size(2), "encode");
  const int64_t s = info_.ch;
  VDF_CHECK(video.size(3) % s == 0 && video.size(4) % s == 0,
            "Wan VAE encode: height and width must be multiples of {}, got {}x{}", s, video.size(3), video.size(4));
  auto h = encode_moments(video.to(device_, dtype_));
  const int64_t z = info_.latent_channels;
  auto [mean, inv_std] = channel_norm();
  auto mu = (h.slice(1, 0, z) - mean) * inv_std;
  // DiagonalGaussianDistribution clamps the log-variance; scaling by 1/std shifts it by 2 log(1/std)
  auto logvar = h.slice(1, z, 2 * z).clamp(-30.0, 20.0) + 2 * inv_std.log();
  return {mu.contiguous(), logvar.contiguous()};
}

torch::Tensor WanVae::encode(const torch::Tensor& video) { return encode_posterior(video).first; }

torch::Tensor WanVae::decode(const torch::Tensor& latents) {
  VDF_CHECK(latents.dim() == 5 && latents.size(1) == info_.latent_channels,
            "Wan VAE decode: expected latents [B,{},T',h,w], got [{}]", info_.latent_channels,
            fmt::join(latents.sizes(), ","));
  auto [mean, inv_std] = channel_norm();
  auto raw = latents.to(device_, dtype_) / inv_std + mean;
  return decode_raw(raw).add_(1).mul_(0.5).clamp_(0.0, 1.0);  // in place: the output is the clip's size
}

}  // namespace vdf::vae
