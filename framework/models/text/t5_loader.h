// Finding and reading T5 / UMT5 encoder weights in the layouts users have:
//   * a diffusers pipeline folder (model_index.json, text_encoder/, tokenizer/): its text_encoder/;
//   * a transformers folder (config.json + model.safetensors, or sharded model.safetensors.index.json);
//   * one .safetensors or .index.json file (Hugging Face names; a config.json beside it is used when
//     present, else the architecture is read off the tensor shapes);
//   * the original Wan file (models_t5_umt5-xxl-enc-bf16.pth, names of Wan's wan/modules/t5.py:
//     token_embedding, blocks.N.attn.q/k/v/o, blocks.N.norm1/norm2, blocks.N.ffn.gate.0/fc1/fc2,
//     blocks.N.pos_embedding.embedding, norm), renamed onto Hugging Face's names.
// Loading is strict (framework/tensor_io/weights.h): every parameter present with its shape, no tensor left
// over; the error names the file and the keys. File dtypes (bf16/fp16) convert to the module's dtype.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "framework/models/text/t5_model.h"
#include "framework/tensor_io/weights.h"

namespace vdf::text {

struct T5Checkpoint {
  T5Config config;
  std::filesystem::path weights;        // the file read: .safetensors, .index.json or .pth
  std::filesystem::path config_file;    // config.json used, or empty (architecture from the shapes)
  std::filesystem::path tokenizer_dir;  // the tokenizer/ folder of a diffusers layout, or empty
  std::string layout;                   // "transformers" | "wan" (original Wan names)
  tensor_io::TensorMap tensors;         // under Hugging Face's names (tied encoder.embed_tokens dropped)
};

// Finds the weights, config and tokenizer of `path` (see above) and reads the tensors. Throws vdf::Error
// naming the path and what is missing or does not fit.
T5Checkpoint read_t5_checkpoint(const std::filesystem::path& path);

// The transformers config.json of a T5/UMT5 model -> T5Config (model_type t5, umt5, or mt5 as t5).
T5Config t5_config_from_json(const std::filesystem::path& config_json);
// The architecture read off a state dict with Hugging Face names (layer count, widths, heads from the
// relative position table, umt5 when every layer has its own table, gated when wi_0 exists).
T5Config t5_config_from_tensors(const tensor_io::TensorMap& tensors, const std::string& source);
// The rename table from Wan's original names to Hugging Face's, for `num_layers` blocks.
std::vector<tensor_io::KeyRename> t5_wan_rename(int64_t num_layers);

// Copies the checkpoint's tensors into `model` strictly (dtype converted to the model's).
void load_t5_weights(T5Encoder& model, const T5Checkpoint& checkpoint);
// A digest naming the weights: sha256 of the file, or for a sharded checkpoint sha256 over the lines
// "<shard name> <shard sha256>" (each shard streamed once).
std::string t5_weights_sha256(const T5Checkpoint& checkpoint);

}  // namespace vdf::text
