// OpenAI CLIP (openai/CLIP clip/model.py, MIT) in LibTorch with the checkpoint's key names:
// token_embedding.weight, positional_embedding, transformer.resblocks.N.{ln_1,attn.in_proj_weight,
// attn.in_proj_bias,attn.out_proj,ln_2,mlp.c_fc,mlp.c_proj}, ln_final, text_projection, logit_scale,
// visual.{conv1.weight,class_embedding,positional_embedding,ln_pre,transformer...,ln_post,proj}.
// Pre-LN residual blocks, QuickGELU x*sigmoid(1.702x), LayerNorm computed in float32, causal text mask,
// text pooling at argmax(token ids) (the EOT token has the largest id). Heads: text = config,
// vision = width / 64.
#pragma once
#include <torch/torch.h>

#include <string>

namespace vdf::clip {

struct ClipConfig {
  // Defaults: ViT-B/32 (openaipublic ViT-B-32.pt, the architecture of ../shared/golden/clip).
  int64_t embed_dim = 512;
  int64_t image_resolution = 224;
  int64_t vision_layers = 12;
  int64_t vision_width = 768;
  int64_t vision_patch_size = 32;
  int64_t context_length = 77;
  int64_t vocab_size = 49408;
  int64_t transformer_width = 512;
  int64_t transformer_heads = 8;
  int64_t transformer_layers = 12;
  bool with_vision = true;  // false: text tower only (visual.* keys are skipped when loading)
  bool with_text = true;    // false: image tower only

  static ClipConfig vit_b32();
  static ClipConfig vit_l14();  // embed 768; vision 1024 x 24, patch 14; text 768 x 12, 12 heads
  // Tiny test/quickstart size: embed 64; vision 64 x 2, patch 16 at 64 px; text 64 x 2, 1 head.
  static ClipConfig tiny();
  static ClipConfig by_name(const std::string& size);  // "b32" | "l14" | "tiny"; throws otherwise
};

// LayerNorm that computes in float32 and returns the input dtype (clip/model.py LayerNorm).
struct ClipLayerNormImpl : torch::nn::Module {
  explicit ClipLayerNormImpl(int64_t d);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  int64_t dim;
};
TORCH_MODULE(ClipLayerNorm);

// nn.MultiheadAttention's parameters (in_proj_weight/in_proj_bias/out_proj) with batch-first inputs.
struct ClipAttentionImpl : torch::nn::Module {
  ClipAttentionImpl(int64_t d, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, bool causal);  // x [B, L, d]
  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(ClipAttention);

struct ClipResBlockImpl : torch::nn::Module {
  ClipResBlockImpl(int64_t d, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, bool causal);
  ClipLayerNorm ln_1{nullptr}, ln_2{nullptr};
  ClipAttention attn{nullptr};
  torch::nn::Sequential mlp{nullptr};  // c_fc, QuickGELU, c_proj (registered by name)
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(ClipResBlock);

struct ClipTransformerImpl : torch::nn::Module {
  ClipTransformerImpl(int64_t width, int64_t layers, int64_t heads);
  torch::Tensor forward(torch::Tensor x, bool causal);
  torch::nn::ModuleList resblocks{nullptr};
};
TORCH_MODULE(ClipTransformer);

struct ClipVisionImpl : torch::nn::Module {
  explicit ClipVisionImpl(const ClipConfig& c);
  torch::Tensor forward(const torch::Tensor& images);  // [B,3,R,R] normalized -> [B, embed_dim]
  torch::nn::Conv2d conv1{nullptr};
  torch::Tensor class_embedding, positional_embedding, proj;
  ClipLayerNorm ln_pre{nullptr}, ln_post{nullptr};
  ClipTransformer transformer{nullptr};
};
TORCH_MODULE(ClipVision);

struct ClipTextOutput {
  torch::Tensor hidden;  // [B, L, width] after ln_final (per-token features)
  torch::Tensor eot;     // [B] int64 index of the pooled (EOT) token
  torch::Tensor pooled;  // [B, embed_dim] = hidden[eot] @ text_projection (encode_text)
};

struct ClipModelImpl : torch::nn::Module {
  explicit ClipModelImpl(const ClipConfig& c);
  ClipTextOutput encode_text_full(const torch::Tensor& tokens);  // tokens [B, L] int64, L <= context
  torch::Tensor encode_text(const torch::Tensor& tokens) { return encode_text_full(tokens).pooled; }
  torch::Tensor encode_image(const torch::Tensor& images) { return visual->forward(images); }
  // (logits_per_image, logits_per_text) = exp(logit_scale) * cos similarities
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& images, const torch::Tensor& tokens);

  ClipConfig config;
  torch::nn::Embedding token_embedding{nullptr};
  torch::Tensor positional_embedding, text_projection, logit_scale;
  ClipTransformer transformer{nullptr};
  ClipLayerNorm ln_final{nullptr};
  ClipVision visual{nullptr};
};
TORCH_MODULE(ClipModel);

}  // namespace vdf::clip
