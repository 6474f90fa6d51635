#include "framework/models/clip/clip_model.h"

#include <cmath>

#include "framework/core/error.h"

namespace vdf::clip {

namespace nn = torch::nn;

ClipConfig ClipConfig::vit_b32() { return ClipConfig{}; }

ClipConfig ClipConfig::vit_l14() {
  ClipConfig c;
  c.embed_dim = 768;
  c.vision_layers = 24;
  c.vision_width = 1024;
  c.vision_patch_size = 14;
  c.transformer_width = 768;
  c.transformer_heads = 12;
  return c;
}

ClipConfig ClipConfig::tiny() {
  ClipConfig c;
  c.embed_dim = 64;
  c.image_resolution = 64;
  c.vision_layers = 2;
  c.vision_width = 64;
  c.vision_patch_size = 16;
  c.transformer_width = 64;
  c.transformer_heads = 1;
  c.transformer_layers = 2;
  return c;
}

ClipConfig ClipConfig::by_name(const std::string& size) {
  if (size == "b32" || size == "ViT-B/32") return vit_b32();
  if (size == "l14" || size == "ViT-L/14") return vit_l14();
  if (size == "tiny") return tiny();
  fail("unknown CLIP size '{}': expected b32, l14 or tiny", size);
}

ClipLayerNormImpl::ClipLayerNormImpl(int64_t d) : dim(d) {
  weight = register_parameter("weight", torch::ones({d}));
  bias = register_parameter("bias", torch::zeros({d}));
}
torch::Tensor ClipLayerNormImpl::forward(const torch::Tensor& x) {
  auto y = torch::layer_norm(x.to(torch::kFloat32), {dim}, weight.to(torch::kFloat32), bias.to(torch::kFloat32), 1e-5);
  return y.to(x.scalar_type());
}

ClipAttentionImpl::ClipAttentionImpl(int64_t d, int64_t h) : heads(h) {
  VDF_CHECK(d % h == 0, "CLIP attention: width {} is not divisible by {} heads", d, h);
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * d, d}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * d}));
  out_proj = register_module("out_proj", nn::Linear(d, d));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, bool causal) {
  const int64_t B = x.size(0), L = x.size(1), D = x.size(2), hd = D / heads;
  auto qkv = torch::nn::functional::linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
  auto split = [&](const torch::Tensor& t) { return t.reshape({B, L, heads, hd}).transpose(1, 2); };
  auto o = at::scaled_dot_product_attention(split(qkv[0]), split(qkv[1]), split(qkv[2]), /*attn_mask=*/{}, /*dropout_p=*/0.0, causal);
  return out_proj->forward(o.transpose(1, 2).reshape({B, L, D}));
}

namespace {
struct QuickGELUImpl : nn::Module {
  torch::Tensor forward(const torch::Tensor& x) { return x * torch::sigmoid(1.702 * x); }
};
TORCH_MODULE(QuickGELU);
}  // namespace

ClipResBlockImpl::ClipResBlockImpl(int64_t d, int64_t heads) {
  attn = register_module("attn", ClipAttention(d, heads));
  ln_1 = register_module("ln_1", ClipLayerNorm(d));
  c_fc = nn::Linear(d, 4 * d);
  c_proj = nn::Linear(4 * d, d);
  mlp = nn::Sequential();
  mlp->push_back("c_fc", c_fc);
  mlp->push_back("gelu", QuickGELU());
  mlp->push_back("c_proj", c_proj);
  register_module("mlp", mlp);
  ln_2 = register_module("ln_2", ClipLayerNorm(d));
}

torch::Tensor ClipResBlockImpl::forward(const torch::Tensor& x, bool causal) {
  auto h = x + attn->forward(ln_1->forward(x), causal);
  return h + mlp->forward(ln_2->forward(h));
}

ClipTransformerImpl::ClipTransformerImpl(int64_t width, int64_t layers, int64_t heads) {
  resblocks = nn::ModuleList();
  for (int64_t i = 0; i < layers; ++i) resblocks->push_back(ClipResBlock(width, heads));
  register_module("resblocks", resblocks);
}

torch::Tensor ClipTransformerImpl::forward(torch::Tensor x, bool causal) {
  for (auto& m : *resblocks) x = m->as<ClipResBlockImpl>()->forward(x, causal);
  return x;
}

ClipVisionImpl::ClipVisionImpl(const ClipConfig& c) {
  const int64_t w = c.vision_width;
  VDF_CHECK(c.image_resolution % c.vision_patch_size == 0, "CLIP: resolution {} not divisible by patch {}",
            c.image_resolution, c.vision_patch_size);
  const int64_t grid = c.image_resolution / c.vision_patch_size;
  // registration order follows clip/model.py VisionTransformer
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, w, c.vision_patch_size).stride(c.vision_patch_size).bias(false)));
  class_embedding = register_parameter("class_embedding", torch::zeros({w}));
  positional_embedding = register_parameter("positional_embedding", torch::zeros({grid * grid + 1, w}));
  ln_pre = register_module("ln_pre", ClipLayerNorm(w));
  transformer = register_module("transformer", ClipTransformer(w, c.vision_layers, w / 64 > 0 ? w / 64 : 1));
  ln_post = register_module("ln_post", ClipLayerNorm(w));
  proj = register_parameter("proj", torch::zeros({w, c.embed_dim}));
}

torch::Tensor ClipVisionImpl::forward(const torch::Tensor& images) {
  auto x = conv1->forward(images.to(conv1->weight.scalar_type()));  // [B, w, g, g]
  const int64_t B = x.size(0), w = x.size(1);
  x = x.reshape({B, w, -1}).permute({0, 2, 1});  // [B, g*g, w]
  auto cls = class_embedding.to(x.scalar_type()).reshape({1, 1, w}).expand({B, 1, w});
  x = torch::cat({cls, x}, 1) + positional_embedding.to(x.scalar_type());
  VDF_CHECK(x.size(1) == positional_embedding.size(0), "CLIP vision: input {}x{} gives {} tokens, expected {}",
            images.size(2), images.size(3), x.size(1), positional_embedding.size(0));
  x = ln_pre->forward(x);
  x = transformer->forward(x, false);
  x = ln_post->forward(x.select(1, 0));
  return torch::matmul(x, proj);
}

ClipModelImpl::ClipModelImpl(const ClipConfig& c) : config(c) {
  if (c.with_vision) visual = register_module("visual", ClipVision(c));
  if (c.with_text) {
    transformer = register_module("transformer",
                                  ClipTransformer(c.transformer_width, c.transformer_layers, c.transformer_heads));
    token_embedding = register_module("token_embedding", nn::Embedding(c.vocab_size, c.transformer_width));
    positional_embedding = register_parameter("positional_embedding", torch::zeros({c.context_length, c.transformer_width}));
    ln_final = register_module("ln_final", ClipLayerNorm(c.transformer_width));
    text_projection = register_parameter("text_projection", torch::zeros({c.transformer_width, c.embed_dim}));
  }
  logit_scale = register_parameter("logit_scale", torch::full({}, static_cast<float>(std::log(1.0 / 0.07))));
}

ClipTextOutput ClipModelImpl::encode_text_full(const torch::Tensor& tokens) {
  VDF_CHECK(config.with_text, "CLIP: this model has no text tower");
  VDF_CHECK(tokens.dim() == 2 && tokens.size(1) <= config.context_length,
            "CLIP encode_text: expected tokens [B, L<= {}], got {}", config.context_length, fmt::join(tokens.sizes(), ","));
  auto ids = tokens.to(positional_embedding.device(), torch::kInt64);
  const int64_t L = ids.size(1);
  auto x = token_embedding->forward(ids) + positional_embedding.slice(0, 0, L);
  x = transformer->forward(x, /*causal=*/true);
  x = ln_final->forward(x);
  ClipTextOutput out;
  out.hidden = x;
  out.eot = ids.argmax(-1);
  auto rows = torch::arange(x.size(0), out.eot.options());
  out.pooled = torch::matmul(x.index({rows, out.eot}), text_projection);
  return out;
}

std::pair<torch::Tensor, torch::Tensor> ClipModelImpl::forward(const torch::Tensor& images, const torch::Tensor& tokens) {
  auto img = encode_image(images);
  auto txt = encode_text(tokens);
  img = img / img.norm(2, -1, true);
  txt = txt / txt.norm(2, -1, true);
  auto logits = logit_scale.exp() * torch::matmul(img, txt.t());
  return {logits, logits.t()};
}

}  // namespace vdf::clip
