#include "framework/models/vae/taef2.h"

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/tensor_io/recipe.h"
#include "framework/tensor_io/weights.h"

namespace vdf::vae {

TaesdVae::TaesdVae(const TaesdArch& arch, int64_t chunk_frames)
    : arch_(arch), encoder_(make_taesd_encoder(arch)), decoder_(make_taesd_decoder(arch)), chunk_frames_(chunk_frames) {
  VDF_CHECK(chunk_frames > 0, "VAE: chunk_frames must be > 0, got {}", chunk_frames);
  encoder_->eval();
  decoder_->eval();
  info_.latent_channels = static_cast<int>(arch.latent_channels);
  info_.ct = 1;
  info_.ch = info_.cw = 8;
  info_.scale = 1.0;
  info_.shift = 0.0;
  info_.pixel_range = "[0,1]";
  info_.deterministic = true;
}

std::unique_ptr<TaesdVae> TaesdVae::taef2(const std::filesystem::path& encoder_path,
                                          const std::filesystem::path& decoder_path, int64_t chunk_frames) {
  TaesdArch arch;
  arch.width = 64;
  arch.latent_channels = 32;
  arch.midblock_gn = true;
  std::unique_ptr<TaesdVae> v(new TaesdVae(arch, chunk_frames));
  tensor_io::LoadOptions options;
  options.what = "TAEF2 encoder";
  options.source = encoder_path.string();
  tensor_io::load_weights(*v->encoder_, tensor_io::load_weights_file(encoder_path), options);
  options.what = "TAEF2 decoder";
  options.source = decoder_path.string();
  tensor_io::load_weights(*v->decoder_, tensor_io::load_weights_file(decoder_path), options);
  v->info_.name = "taef2";
  v->info_.pretrained = true;
  v->info_.weights_path = encoder_path.string() + ";" + decoder_path.string();
  v->info_.weights_sha256 = sha256_file(encoder_path) + ";" + sha256_file(decoder_path);
  return v;
}

std::unique_ptr<TaesdVae> TaesdVae::recipe(const std::string& name, const TaesdArch& arch, int64_t chunk_frames) {
  std::unique_ptr<TaesdVae> v(new TaesdVae(arch, chunk_frames));
  tensor_io::fill_recipe(*v->encoder_);
  tensor_io::fill_recipe(*v->decoder_);
  v->info_.name = name + " (recipe weights, not pretrained)";
  v->info_.pretrained = false;
  v->info_.weights_sha256 = "recipe:" + name;
  return v;
}

void TaesdVae::to(torch::Device device, torch::Dtype dtype) {
  encoder_->to(device, dtype);
  decoder_->to(device, dtype);
  device_ = device;
  dtype_ = dtype;
}

torch::Tensor TaesdVae::encode_images(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  VDF_CHECK(images.dim() == 4 && images.size(1) == 3, "TAESD encode: expected images [N,3,H,W], got {}",
            fmt::join(images.sizes(), ","));
  VDF_CHECK(images.size(2) % 8 == 0 && images.size(3) % 8 == 0,
            "TAESD encode: height and width must be multiples of 8, got {}x{}", images.size(2), images.size(3));
  return encoder_->forward(images.to(device_, dtype_));
}

torch::Tensor TaesdVae::decode_images(const torch::Tensor& latents) {
  torch::NoGradGuard no_grad;
  VDF_CHECK(latents.dim() == 4 && latents.size(1) == arch_.latent_channels,
            "TAESD decode: expected latents [N,{},h,w], got {}", arch_.latent_channels, fmt::join(latents.sizes(), ","));
  return decoder_->forward(latents.to(device_, dtype_)).clamp(0, 1);
}

torch::Tensor TaesdVae::encode(const torch::Tensor& video) {
  VDF_CHECK(video.dim() == 5 && video.size(1) == 3, "VAE encode: expected video [B,3,T,H,W], got {}", fmt::join(video.sizes(), ","));
  auto raw = map_frames(video, chunk_frames_, [this](const torch::Tensor& x) { return encode_images(x); });
  return (raw - info_.shift) * info_.scale;
}

torch::Tensor TaesdVae::decode(const torch::Tensor& latents) {
  VDF_CHECK(latents.dim() == 5 && latents.size(1) == arch_.latent_channels,
            "VAE decode: expected latents [B,{},T,h,w], got {}", arch_.latent_channels, fmt::join(latents.sizes(), ","));
  auto raw = latents / info_.scale + info_.shift;
  return map_frames(raw, chunk_frames_, [this](const torch::Tensor& x) { return decode_images(x); });
}

}  // namespace vdf::vae
