// The T5 / UMT5 encoder stack (transformers' T5EncoderModel / UMT5EncoderModel, encoder only):
//   embedding -> N x [RMSNorm -> self-attention (no score scaling, relative position bias, padding mask)
//   -> residual; RMSNorm -> FFN (gated GELU-tanh for T5 v1.1 / UMT5, ReLU for the original T5) ->
//   residual] -> final RMSNorm.
// T5 computes the relative position bias in layer 0 and shares it with every layer; UMT5 has one bias
// table per layer. Parameter names are Hugging Face's (`shared.weight`, `encoder.block.N.layer.0.
// SelfAttention.q.weight`, ...), so diffusers/transformers files load without renaming; t5_loader.h maps
// the original Wan names onto them.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdf::text {

struct T5Config {
  std::string model_type = "t5";  // t5 | umt5 (umt5: a relative position bias in every layer)
  int64_t vocab_size = 32128;
  int64_t d_model = 4096;
  int64_t d_kv = 64;
  int64_t d_ff = 10240;
  int64_t num_layers = 24;
  int64_t num_heads = 64;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  double layer_norm_epsilon = 1e-6;
  bool gated = true;                  // feed_forward_proj "gated-gelu" (wi_0, wi_1, wo) vs "relu" (wi, wo)
  std::string activation = "gelu_new";  // gelu_new (tanh approximation) | relu | gelu

  bool per_layer_position_bias() const { return model_type == "umt5"; }
  std::string describe() const;  // "umt5 d_model 4096, 24 layers, 64 heads x 64, d_ff 10240, vocab 256384"
};

// RMSNorm of T5: no mean subtraction, no bias, variance in float32.
class T5LayerNormImpl : public torch::nn::Module {
 public:
  T5LayerNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(T5LayerNorm);

class T5AttentionImpl : public torch::nn::Module {
 public:
  T5AttentionImpl(const T5Config& c, bool has_relative_bias);
  // x [B, L, D]; bias [1 or B, H, L, L] additive (position bias + padding mask).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bias);
  // The relative position bias [1, H, L, L] of this layer's table (bidirectional buckets).
  torch::Tensor position_bias(int64_t length);
  bool has_relative_bias() const { return !relative_attention_bias.is_empty(); }

  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  torch::nn::Embedding relative_attention_bias{nullptr};

 private:
  T5Config c_;
};
TORCH_MODULE(T5Attention);

// Relative position -> bucket, as transformers' _relative_position_bucket (bidirectional).
torch::Tensor t5_relative_position_bucket(const torch::Tensor& relative_position, int64_t num_buckets,
                                          int64_t max_distance);

class T5EncoderImpl : public torch::nn::Module {
 public:
  explicit T5EncoderImpl(const T5Config& config);
  // ids [B, L] int64; mask [B, L] (1 = token) or undefined (attend to every position, padding included:
  // what CogVideoX does). Returns the final-norm hidden states [B, L, D] in the module's dtype.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask = {});
  const T5Config& config() const { return config_; }
  // Converts the parameters to `dtype`; for float16 the FFN output projections `wo` stay float32, as
  // transformers keeps them (`_keep_in_fp32_modules = ["wo"]`, applied for fp16 only: T5's FFN overflows
  // fp16): their input is cast to float32 and the residual stream continues in float32 as it does there.
  void set_dtype(torch::Dtype dtype);

 private:
  T5Config config_;
  torch::nn::Embedding shared_{nullptr};
  struct Layer {
    T5LayerNorm attn_norm{nullptr};
    T5Attention attn{nullptr};
    T5LayerNorm ff_norm{nullptr};
    torch::nn::Linear wi_0{nullptr}, wi_1{nullptr}, wi{nullptr}, wo{nullptr};
  };
  std::vector<Layer> layers_;
  T5LayerNorm final_norm_{nullptr};
  torch::Tensor feed_forward(Layer& l, const torch::Tensor& x);
};
TORCH_MODULE(T5Encoder);

}  // namespace vdf::text
