#include "framework/models/vae/taehv.h"

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/models/vae/taesd_layers.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/weights.h"

namespace vdf::vae {

namespace nn = torch::nn;

MemBlockImpl::MemBlockImpl(int64_t n) {
  conv = register_module("conv", nn::Sequential(conv3x3(2 * n, n), nn::ReLU(), conv3x3(n, n), nn::ReLU(), conv3x3(n, n)));
}
torch::Tensor MemBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& past) {
  return torch::relu(conv->forward(torch::cat({x, past}, 1)) + x);
}

TPoolImpl::TPoolImpl(int64_t n, int64_t s) : stride(s) { conv = register_module("conv", conv1x1(n * s, n)); }
torch::Tensor TPoolImpl::forward(const torch::Tensor& x) {
  return conv->forward(x.reshape({-1, stride * x.size(1), x.size(2), x.size(3)}));
}

TGrowImpl::TGrowImpl(int64_t n, int64_t s) : stride(s) { conv = register_module("conv", conv1x1(n, n * s)); }
torch::Tensor TGrowImpl::forward(const torch::Tensor& x) {
  const auto c = x.size(1);
  return conv->forward(x).reshape({-1, c, x.size(2), x.size(3)});
}

TaehvModelImpl::TaehvModelImpl(const TaehvArch& a) : arch(a) {
  const int64_t img = 3 * a.patch_size * a.patch_size;
  encoder = nn::ModuleList();
  encoder->push_back(conv3x3(img, 64));
  encoder->push_back(nn::ReLU());
  t_downscale = 1;
  for (int s = 0; s < 3; ++s) {
    encoder->push_back(TPool(64, a.encoder_time_downscale[s] ? 2 : 1));
    t_downscale *= a.encoder_time_downscale[s] ? 2 : 1;
    encoder->push_back(conv3x3(64, 64, 2, false));
    for (int b = 0; b < 3; ++b) encoder->push_back(MemBlock(64));
  }
  encoder->push_back(conv3x3(64, a.latent_channels));
  const int64_t nf[4] = {256, 128, 64, 64};
  decoder = nn::ModuleList();
  decoder->push_back(Clamp());
  decoder->push_back(conv3x3(a.latent_channels, nf[0]));
  decoder->push_back(nn::ReLU());
  t_upscale = 1;
  for (int s = 0; s < 3; ++s) {
    for (int b = 0; b < 3; ++b) decoder->push_back(MemBlock(nf[s]));
    decoder->push_back(nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
    decoder->push_back(TGrow(nf[s], a.decoder_time_upscale[s] ? 2 : 1));
    t_upscale *= a.decoder_time_upscale[s] ? 2 : 1;
    decoder->push_back(conv3x3(nf[s], nf[s + 1], 1, false));
  }
  decoder->push_back(nn::ReLU());
  decoder->push_back(conv3x3(nf[3], img));
  register_module("encoder", encoder);
  register_module("decoder", decoder);
}

TaehvVae::TaehvVae(const TaehvArch& arch, int64_t chunk_frames) : model_(arch), chunk_frames_(chunk_frames) {
  VDF_CHECK(chunk_frames > 0, "TAEHV: chunk_frames must be > 0, got {}", chunk_frames);
  model_->eval();
  info_.latent_channels = static_cast<int>(arch.latent_channels);
  info_.ct = static_cast<int>(model_->t_downscale);
  info_.ch = info_.cw = 8 * static_cast<int>(arch.patch_size);
  info_.scale = 1.0;
  info_.shift = 0.0;
  info_.pixel_range = "[0,1]";
  info_.deterministic = true;
}

std::unique_ptr<TaehvVae> TaehvVae::from_file(const std::filesystem::path& path, const TaehvArch& arch,
                                              int64_t chunk_frames) {
  std::unique_ptr<TaehvVae> v(new TaehvVae(arch, chunk_frames));
  auto tensors = tensor_io::load_weights_file(path);
  // upstream patch_tgrow_layers: TGrow weights with more output channels keep the last ones
  auto own = tensor_io::state_dict(*v->model_);
  for (auto& [k, t] : tensors) {
    auto it = own.find(k);
    if (it != own.end() && k.rfind("decoder.", 0) == 0 && t.dim() == 4 && t.size(0) > it->second.size(0) &&
        t.size(1) == it->second.size(1) && t.size(2) == 1 && t.size(3) == 1)
      t = t.slice(0, t.size(0) - it->second.size(0));
  }
  tensor_io::LoadOptions options;
  options.what = "TAEHV";
  options.source = path.string();
  tensor_io::load_weights(*v->model_, tensors, options);
  v->info_.name = "taehv";
  v->info_.pretrained = true;
  v->info_.weights_path = path.string();
  v->info_.weights_sha256 = sha256_file(path);
  return v;
}

std::unique_ptr<TaehvVae> TaehvVae::recipe(const TaehvArch& arch, int64_t chunk_frames) {
  std::unique_ptr<TaehvVae> v(new TaehvVae(arch, chunk_frames));
  tensor_io::fill_recipe(*v->model_);
  v->info_.name = "taehv (recipe weights, not pretrained)";
  v->info_.pretrained = false;
  v->info_.weights_sha256 = "recipe:taehv";
  return v;
}

void TaehvVae::to(torch::Device device, torch::Dtype dtype) {
  model_->to(device, dtype);
  device_ = device;
  dtype_ = dtype;
}

torch::Tensor TaehvVae::run(nn::ModuleList& layers, const torch::Tensor& x, int64_t chunk) {
  torch::NoGradGuard no_grad;
  const int64_t N = x.size(0), T = x.size(1);
  std::vector<torch::Tensor> memory(layers->size());  // last input frame [N,C,H,W] of each MemBlock
  std::vector<torch::Tensor> outs;
  for (int64_t t0 = 0; t0 < T; t0 += chunk) {
    const int64_t tn = std::min(chunk, T - t0);
    torch::Tensor h = x.slice(1, t0, t0 + tn).reshape({N * tn, x.size(2), x.size(3), x.size(4)});
    int64_t t = tn;
    for (size_t i = 0; i < layers->size(); ++i) {
      auto m = layers[i];
      if (auto* mb = m->as<MemBlockImpl>()) {
        auto h5 = h.reshape({N, t, h.size(1), h.size(2), h.size(3)});
        torch::Tensor first = memory[i].defined() ? memory[i].unsqueeze(1) : torch::zeros_like(h5.slice(1, 0, 1));
        auto past = torch::cat({first, h5.slice(1, 0, t - 1)}, 1).reshape(h.sizes());
        memory[i] = h5.select(1, t - 1).clone();
        h = mb->forward(h, past);
      } else if (auto* tp = m->as<TPoolImpl>()) {
        VDF_CHECK(t % tp->stride == 0, "TAEHV: {} frames do not divide into temporal pooling by {}", t, tp->stride);
        h = tp->forward(h);
        t /= tp->stride;
      } else if (auto* tg = m->as<TGrowImpl>()) {
        h = tg->forward(h);
        t *= tg->stride;
      } else if (auto* c = m->as<nn::Conv2dImpl>()) {
        h = c->forward(h);
      } else if (auto* r = m->as<nn::ReLUImpl>()) {
        h = r->forward(h);
      } else if (auto* u = m->as<nn::UpsampleImpl>()) {
        h = u->forward(h);
      } else if (auto* cl = m->as<ClampImpl>()) {
        h = cl->forward(h);
      } else {
        fail("TAEHV: unexpected layer {} ({})", i, m->name());
      }
    }
    outs.push_back(h.reshape({N, t, h.size(1), h.size(2), h.size(3)}));
  }
  return torch::cat(outs, 1);
}

torch::Tensor TaehvVae::encode(const torch::Tensor& video) {
  VDF_CHECK(video.dim() == 5 && video.size(1) == 3, "TAEHV encode: expected video [B,3,T,H,W], got {}", fmt::join(video.sizes(), ","));
  const int64_t P = info_.ch;
  VDF_CHECK(video.size(3) % P == 0 && video.size(4) % P == 0,
            "TAEHV encode: height and width must be multiples of {}, got {}x{}", P, video.size(3), video.size(4));
  auto x = video.to(device_, dtype_).permute({0, 2, 1, 3, 4});  // [B,T,3,H,W]
  const int64_t T = x.size(1), td = model_->t_downscale;
  if (T % td) {
    auto last = x.slice(1, T - 1, T);
    x = torch::cat({x, last.expand({-1, td - T % td, -1, -1, -1})}, 1);
  }
  const int64_t p = model_->arch.patch_size;
  if (p > 1) {
    auto s = x.sizes().vec();
    x = torch::pixel_unshuffle(x.reshape({s[0] * s[1], s[2], s[3], s[4]}), p);
    x = x.reshape({s[0], s[1], x.size(1), x.size(2), x.size(3)});
  }
  const int64_t chunk = std::max<int64_t>(td, chunk_frames_ / td * td);
  auto z = run(model_->encoder, x.contiguous(), chunk);  // [B,T',C,h,w]
  return ((z - info_.shift) * info_.scale).permute({0, 2, 1, 3, 4}).contiguous();
}

torch::Tensor TaehvVae::decode(const torch::Tensor& latents) {
  VDF_CHECK(latents.dim() == 5 && latents.size(1) == info_.latent_channels,
            "TAEHV decode: expected latents [B,{},T',h,w], got {}", info_.latent_channels, fmt::join(latents.sizes(), ","));
  auto z = (latents.to(device_, dtype_) / info_.scale + info_.shift).permute({0, 2, 1, 3, 4}).contiguous();
  const int64_t chunk = std::max<int64_t>(1, chunk_frames_ / model_->t_upscale);
  auto y = run(model_->decoder, z, chunk);  // [B,T'*tu,C,H,W]
  const int64_t p = model_->arch.patch_size;
  if (p > 1) {
    auto s = y.sizes().vec();
    y = torch::pixel_shuffle(y.reshape({s[0] * s[1], s[2], s[3], s[4]}), p);
    y = y.reshape({s[0], s[1], y.size(1), y.size(2), y.size(3)});
  }
  y = y.clamp(0, 1).slice(1, model_->t_upscale - 1);
  return y.permute({0, 2, 1, 3, 4}).contiguous();
}

}  // namespace vdf::vae
