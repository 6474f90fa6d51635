#include "framework/models/vae/wan_modules.h"

#include <algorithm>
#include <cmath>

#include "framework/core/error.h"

namespace vdf::vae {

namespace nn = torch::nn;

namespace {

// Upstream caches the last CACHE_T = 2 input frames of every causal 3x3x3 convolution.
constexpr int64_t kWanCacheFrames = 2;

torch::Tensor wan_last_frames(const torch::Tensor& x, int64_t n) {
  const int64_t t = x.size(2);
  return x.slice(2, std::max<int64_t>(0, t - n)).clone();
}

// SiLU in place on a fresh temporary (saves one activation-sized buffer per call)
torch::Tensor wan_silu(torch::Tensor x) { return torch::silu_(x); }

std::vector<int64_t> wan_triple(std::vector<int64_t> v) { return v.size() == 1 ? std::vector<int64_t>(3, v[0]) : v; }

}  // namespace

// ---- WanCausalConv3d ---------------------------------------------------------------------------

WanCausalConv3dImpl::WanCausalConv3dImpl(int64_t in, int64_t out, std::vector<int64_t> kernel,
                                         std::vector<int64_t> stride_, std::vector<int64_t> padding) {
  kernel = wan_triple(kernel);
  stride = wan_triple(stride_);
  padding = wan_triple(padding);
  weight = register_parameter("weight", torch::zeros({out, in, kernel[0], kernel[1], kernel[2]}));
  bias = register_parameter("bias", torch::zeros({out}));
  time_padding = 2 * padding[0];
  space_padding = {0, padding[1], padding[2]};
}

torch::Tensor WanCausalConv3dImpl::forward(const torch::Tensor& x_in, const torch::Tensor& past) {
  torch::Tensor x = x_in;
  int64_t pad_t = time_padding;
  if (past.defined() && pad_t > 0) {
    x = torch::cat({past.to(x.device()), x}, 2);
    pad_t -= past.size(2);
  }
  if (pad_t > 0) x = torch::constant_pad_nd(x, {0, 0, 0, 0, pad_t, 0});
  // Spatial zero padding inside the convolution equals upstream's F.pad before it, without the copy.
  return torch::conv3d(x, weight, bias, stride, space_padding);
}

torch::Tensor WanCausalConv3dImpl::forward_cached(const torch::Tensor& x, WanFeatCache& cache) {
  auto& slot = cache.take();
  auto keep = wan_last_frames(x, kWanCacheFrames);
  const bool have_past = slot.kind == WanFeatCache::Kind::frames;
  // a 1-frame chunk keeps the previous chunk's last frame too, so the next chunk still sees 2 frames
  if (keep.size(2) < kWanCacheFrames && have_past) keep = torch::cat({slot.frames.slice(2, -1), keep}, 2);
  auto y = forward(x, have_past ? slot.frames : torch::Tensor());
  slot.frames = keep;
  slot.kind = WanFeatCache::Kind::frames;
  return y;
}

// ---- WanRmsNorm --------------------------------------------------------------------------------

WanRmsNormImpl::WanRmsNormImpl(int64_t dim, bool images) : scale(std::sqrt(double(dim))) {
  gamma = register_parameter("gamma", images ? torch::ones({dim, 1, 1}) : torch::ones({dim, 1, 1, 1}));
}

torch::Tensor WanRmsNormImpl::forward(const torch::Tensor& x) {
  const bool half = x.scalar_type() == torch::kHalf || x.scalar_type() == torch::kBFloat16;
  auto xf = half ? x.to(torch::kFloat32) : x;
  // F.normalize(x, dim=1): x / max(||x||_2, 1e-12)
  auto n = xf / xf.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  if (half) n = n.to(x.scalar_type());
  return n * (gamma * scale);
}

// ---- WanResidualBlock --------------------------------------------------------------------------

WanResidualBlockImpl::WanResidualBlockImpl(int64_t in, int64_t out) {
  norm1 = register_module("norm1", WanRmsNorm(in, false));
  conv1 = register_module("conv1", WanCausalConv3d(in, out, std::vector<int64_t>{3}, std::vector<int64_t>{1},
                                                   std::vector<int64_t>{1}));
  norm2 = register_module("norm2", WanRmsNorm(out, false));
  conv2 = register_module("conv2", WanCausalConv3d(out, out, std::vector<int64_t>{3}, std::vector<int64_t>{1},
                                                   std::vector<int64_t>{1}));
  if (in != out)
    conv_shortcut = register_module("conv_shortcut", WanCausalConv3d(in, out, std::vector<int64_t>{1},
                                                                     std::vector<int64_t>{1}, std::vector<int64_t>{0}));
}

torch::Tensor WanResidualBlockImpl::forward(const torch::Tensor& x, WanFeatCache& cache) {
  auto h = conv_shortcut ? conv_shortcut->forward(x) : x;
  auto y = wan_silu(norm1->forward(x));
  y = conv1->forward_cached(y, cache);
  y = wan_silu(norm2->forward(y));
  y = conv2->forward_cached(y, cache);
  return y.add_(h);
}

// ---- WanAttentionBlock -------------------------------------------------------------------------

WanAttentionBlockImpl::WanAttentionBlockImpl(int64_t dim) {
  norm = register_module("norm", WanRmsNorm(dim, true));
  to_qkv = register_module("to_qkv", nn::Conv2d(nn::Conv2dOptions(dim, 3 * dim, 1)));
  proj = register_module("proj", nn::Conv2d(nn::Conv2dOptions(dim, dim, 1)));
}

torch::Tensor WanAttentionBlockImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), t = x.size(2), h = x.size(3), w = x.size(4);
  auto f = x.permute({0, 2, 1, 3, 4}).reshape({b * t, c, h, w});
  auto qkv = to_qkv->forward(norm->forward(f)).reshape({b * t, 1, 3 * c, h * w}).permute({0, 1, 3, 2}).contiguous();
  auto parts = qkv.chunk(3, -1);
  auto a = at::scaled_dot_product_attention(parts[0], parts[1], parts[2]);  // [bt, 1, hw, c]
  a = a.squeeze(1).permute({0, 2, 1}).reshape({b * t, c, h, w});
  auto y = proj->forward(a).view({b, t, c, h, w}).permute({0, 2, 1, 3, 4});
  return y + x;
}

// ---- WanResample -------------------------------------------------------------------------------

WanResampleImpl::WanResampleImpl(int64_t dim, WanResampleMode m, int64_t upsample_out_dim) : mode(m) {
  const bool up = m == WanResampleMode::upsample2d || m == WanResampleMode::upsample3d;
  conv = up ? nn::Conv2d(nn::Conv2dOptions(dim, upsample_out_dim, 3).padding(1))
            : nn::Conv2d(nn::Conv2dOptions(dim, dim, 3).stride(2));
  resample = register_module("resample", nn::Sequential(nn::Identity(), conv));
  if (m == WanResampleMode::upsample3d)
    time_conv = register_module("time_conv", WanCausalConv3d(dim, 2 * dim, std::vector<int64_t>{3, 1, 1}, std::vector<int64_t>{1, 1, 1}, std::vector<int64_t>{1, 0, 0}));
  if (m == WanResampleMode::downsample3d)
    time_conv = register_module("time_conv", WanCausalConv3d(dim, dim, std::vector<int64_t>{3, 1, 1}, std::vector<int64_t>{2, 1, 1}, std::vector<int64_t>{0, 0, 0}));
}

torch::Tensor WanResampleImpl::forward(const torch::Tensor& x_in, WanFeatCache& cache) {
  using Kind = WanFeatCache::Kind;
  torch::Tensor x = x_in;
  const int64_t b = x.size(0), c = x.size(1), h = x.size(3), w = x.size(4);
  if (mode == WanResampleMode::upsample3d) {
    auto& slot = cache.take();
    if (slot.kind == Kind::empty) {
      slot.kind = Kind::rep;  // the first chunk is not doubled in time
    } else {
      const int64_t t = x.size(2);
      auto keep = wan_last_frames(x, kWanCacheFrames);
      if (keep.size(2) < kWanCacheFrames)
        keep = torch::cat({slot.kind == Kind::frames ? slot.frames.slice(2, -1) : torch::zeros_like(keep), keep}, 2);
      x = slot.kind == Kind::rep ? time_conv->forward(x) : time_conv->forward(x, slot.frames);
      slot.frames = keep;
      slot.kind = Kind::frames;
      // [b, 2c, t] -> [b, c, 2t]: the two halves of the channels are the even and odd output frames
      x = x.reshape({b, 2, c, t, h, w});
      x = torch::stack({x.select(1, 0), x.select(1, 1)}, 3).reshape({b, c, 2 * t, h, w});
    }
  }
  const int64_t t = x.size(2);
  auto f = x.permute({0, 2, 1, 3, 4}).reshape({b * t, c, h, w});
  if (mode == WanResampleMode::upsample2d || mode == WanResampleMode::upsample3d) {
    // nearest-exact 2x (upstream upsamples in float32 and casts back)
    auto ff = f.to(torch::kFloat32);
    f = torch::_upsample_nearest_exact2d(ff, {2 * h, 2 * w}).to(f.scalar_type());
  } else {
    f = torch::constant_pad_nd(f, {0, 1, 0, 1});
  }
  f = conv->forward(f);
  x = f.view({b, t, f.size(1), f.size(2), f.size(3)}).permute({0, 2, 1, 3, 4});
  if (mode == WanResampleMode::downsample3d) {
    auto& slot = cache.take();
    if (slot.kind == Kind::empty) {
      slot.frames = wan_last_frames(x, 1);  // the first chunk is not reduced in time
      slot.kind = Kind::frames;
    } else {
      auto keep = wan_last_frames(x, 1);
      x = time_conv->forward(torch::cat({slot.frames.slice(2, -1), x}, 2));
      slot.frames = keep;
    }
  }
  return x;
}

// ---- WanMidBlock -------------------------------------------------------------------------------

WanMidBlockImpl::WanMidBlockImpl(int64_t dim) {
  resnets = register_module("resnets", nn::ModuleList(WanResidualBlock(dim, dim), WanResidualBlock(dim, dim)));
  attentions = register_module("attentions", nn::ModuleList(WanAttentionBlock(dim)));
}

torch::Tensor WanMidBlockImpl::forward(const torch::Tensor& x_in, WanFeatCache& cache) {
  auto x = resnets[0]->as<WanResidualBlockImpl>()->forward(x_in, cache);
  x = attentions[0]->as<WanAttentionBlockImpl>()->forward(x);
  return resnets[1]->as<WanResidualBlockImpl>()->forward(x, cache);
}

// ---- WanEncoder3d ------------------------------------------------------------------------------

WanEncoder3dImpl::WanEncoder3dImpl(const WanVaeArch& a) {
  std::vector<int64_t> dims = {a.base_dim};
  for (auto m : a.dim_mult) dims.push_back(a.base_dim * m);
  conv_in = register_module("conv_in", WanCausalConv3d(a.in_channels, dims[0], std::vector<int64_t>{3},
                                                       std::vector<int64_t>{1}, std::vector<int64_t>{1}));
  down_blocks = nn::ModuleList();
  double scale = 1.0;
  const size_t levels = a.dim_mult.size();
  for (size_t i = 0; i < levels; ++i) {
    int64_t in = dims[i];
    const int64_t out = dims[i + 1];
    for (int64_t r = 0; r < a.num_res_blocks; ++r) {
      down_blocks->push_back(WanResidualBlock(in, out));
      if (std::find(a.attn_scales.begin(), a.attn_scales.end(), scale) != a.attn_scales.end())
        down_blocks->push_back(WanAttentionBlock(out));
      in = out;
    }
    if (i + 1 != levels) {
      down_blocks->push_back(WanResample(
          out, a.temperal_downsample[i] ? WanResampleMode::downsample3d : WanResampleMode::downsample2d, out / 2));
      scale /= 2.0;
    }
  }
  register_module("down_blocks", down_blocks);
  mid_block = register_module("mid_block", WanMidBlock(dims.back()));
  norm_out = register_module("norm_out", WanRmsNorm(dims.back(), false));
  conv_out = register_module("conv_out", WanCausalConv3d(dims.back(), 2 * a.z_dim, std::vector<int64_t>{3},
                                                         std::vector<int64_t>{1}, std::vector<int64_t>{1}));
}

torch::Tensor WanEncoder3dImpl::forward(const torch::Tensor& x_in, WanFeatCache& cache) {
  auto x = conv_in->forward_cached(x_in, cache);
  for (const auto& m : *down_blocks) {
    if (auto* r = m->as<WanResidualBlockImpl>()) x = r->forward(x, cache);
    else if (auto* at = m->as<WanAttentionBlockImpl>()) x = at->forward(x);
    else if (auto* s = m->as<WanResampleImpl>()) x = s->forward(x, cache);
    else fail("Wan VAE encoder: unexpected layer {}", m->name());
  }
  x = mid_block->forward(x, cache);
  x = wan_silu(norm_out->forward(x));
  return conv_out->forward_cached(x, cache);
}

// ---- WanUpBlock / WanDecoder3d -----------------------------------------------------------------

WanUpBlockImpl::WanUpBlockImpl(int64_t in, int64_t out, int64_t num_res_blocks, bool upsample, bool temporal) {
  resnets = nn::ModuleList();
  for (int64_t r = 0; r <= num_res_blocks; ++r) {
    resnets->push_back(WanResidualBlock(in, out));
    in = out;
  }
  register_module("resnets", resnets);
  if (upsample) {
    upsamplers = register_module(
        "upsamplers",
        nn::ModuleList(WanResample(out, temporal ? WanResampleMode::upsample3d : WanResampleMode::upsample2d, out / 2)));
  }
}

torch::Tensor WanUpBlockImpl::forward(const torch::Tensor& x_in, WanFeatCache& cache) {
  auto x = x_in;
  for (const auto& m : *resnets) x = m->as<WanResidualBlockImpl>()->forward(x, cache);
  if (upsamplers) x = upsamplers[0]->as<WanResampleImpl>()->forward(x, cache);
  return x;
}

WanDecoder3dImpl::WanDecoder3dImpl(const WanVaeArch& a) {
  const int64_t d = a.decoder_base_dim;
  std::vector<int64_t> dims = {d * a.dim_mult.back()};
  for (auto it = a.dim_mult.rbegin(); it != a.dim_mult.rend(); ++it) dims.push_back(d * *it);
  std::vector<bool> temporal_up(a.temperal_downsample.rbegin(), a.temperal_downsample.rend());
  conv_in = register_module("conv_in", WanCausalConv3d(a.z_dim, dims[0], std::vector<int64_t>{3},
                                                       std::vector<int64_t>{1}, std::vector<int64_t>{1}));
  mid_block = register_module("mid_block", WanMidBlock(dims[0]));
  up_blocks = nn::ModuleList();
  const size_t levels = a.dim_mult.size();
  for (size_t i = 0; i < levels; ++i) {
    // Wan 2.1: each upsampler halves the channels, so levels after the first start at half width
    const int64_t in = i > 0 ? dims[i] / 2 : dims[i];
    const bool up = i + 1 != levels;
    up_blocks->push_back(WanUpBlock(in, dims[i + 1], a.num_res_blocks, up, up && temporal_up[i]));
  }
  register_module("up_blocks", up_blocks);
  norm_out = register_module("norm_out", WanRmsNorm(dims.back(), false));
  conv_out = register_module("conv_out", WanCausalConv3d(dims.back(), a.out_channels, std::vector<int64_t>{3},
                                                         std::vector<int64_t>{1}, std::vector<int64_t>{1}));
}

torch::Tensor WanDecoder3dImpl::forward(const torch::Tensor& x_in, WanFeatCache& cache) {
  auto x = conv_in->forward_cached(x_in, cache);
  x = mid_block->forward(x, cache);
  for (const auto& m : *up_blocks) x = m->as<WanUpBlockImpl>()->forward(x, cache);
  x = wan_silu(norm_out->forward(x));
  return conv_out->forward_cached(x, cache);
}

// ---- WanAutoencoder ----------------------------------------------------------------------------

WanAutoencoderImpl::WanAutoencoderImpl(const WanVaeArch& a) : arch(a) {
  a.check("Wan VAE architecture");
  encoder = register_module("encoder", WanEncoder3d(a));
  quant_conv = register_module("quant_conv", WanCausalConv3d(2 * a.z_dim, 2 * a.z_dim, std::vector<int64_t>{1},
                                                             std::vector<int64_t>{1}, std::vector<int64_t>{0}));
  post_quant_conv = register_module("post_quant_conv", WanCausalConv3d(a.z_dim, a.z_dim, std::vector<int64_t>{1},
                                                                       std::vector<int64_t>{1}, std::vector<int64_t>{0}));
  decoder = register_module("decoder", WanDecoder3d(a));
}

}  // namespace vdf::vae
