// The interface the trainer reads latents through. Anything that can hand out encoded training samples
// by index implements LatentDataset: the HDF5 latent shards written by `vdf ingest` (the shard reader in
// data/ implements it; the integrator wires it in train/dataset_factory.cpp) and the in-memory
// SyntheticLatentDataset used by tests.
//
// Contract for implementers (the ingest shard reader in particular):
//  * size() is fixed for the object's lifetime; get(i) for 0 <= i < size() is a pure function of i
//    (same tensors every call, from any thread, on any rank) — the trainer's bit-exact resume relies
//    on it. Throw vdf::Error naming the shard file and index on a bad index or a corrupt sample.
//  * bucket_of(i) must come from metadata only (never decode latents): the batch sampler calls it for
//    every index at start. Samples with the same bucket key MUST have identical latent shapes; the key
//    format used by vdf is "TxHxW" of the latent (e.g. "1x32x32" for an image, "5x32x32" for a clip).
//  * latents: float32 (or fp16/bf16, converted by the trainer) [C, T, H, W], already scaled/shifted by
//    the VAE's scaling so that they are roughly unit variance (the shard stores which VAE and scaling).
//  * text: [L, D] token embeddings padded to the fixed length L of the dataset; text_mask: bool [L]
//    (true = real token); pooled: [Dp]. L, D, Dp are the same for every sample of a dataset.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdf::data {

// Which encoders made a dataset's latents and text embeddings. The shards record it; whoever decodes or
// conditions with its own VAE / text encoder (the trainer's periodic sampling) checks it against them.
struct EncoderProvenance {
  std::string source;  // where the dataset was read from (the shard folder), for messages
  std::string vae_name, vae_weights_sha256;
  double vae_scale = 1.0;
  std::vector<double> vae_channel_shift, vae_channel_scale;  // per-channel normalization (Wan); empty = none
  std::string text_name, text_weights_sha256;
  int64_t text_max_length = 0;
};

struct LatentSample {
  torch::Tensor latents;    // [C, T, H, W]
  torch::Tensor text;       // [L, D]
  torch::Tensor text_mask;  // bool [L], true = token present
  torch::Tensor pooled;     // [Dp]
  std::string bucket;       // bucket key, equal to bucket_of(index)
  std::string caption;      // the caption the text embedding was computed from
};

class LatentDataset {
 public:
  virtual ~LatentDataset() = default;
  virtual int64_t size() const = 0;
  virtual LatentSample get(int64_t index) const = 0;
  // Metadata-only bucket key of a sample (see the contract above).
  virtual std::string bucket_of(int64_t index) const = 0;
  // A short description for logs and the run directory ("synthetic: 64 samples, 2 buckets").
  virtual std::string describe() const = 0;
  // The encoders the samples were made with, when the dataset records them (the shards do); nullopt for
  // data that was never encoded (the synthetic set).
  virtual std::optional<EncoderProvenance> provenance() const { return std::nullopt; }
};

// A batch of samples sharing one bucket: tensors stacked along a new leading dim.
struct LatentBatch {
  torch::Tensor latents;    // [B, C, T, H, W] float32
  torch::Tensor text;       // [B, L, D] float32
  torch::Tensor text_mask;  // bool [B, L]
  torch::Tensor pooled;     // [B, Dp] float32
  std::string bucket;
  std::vector<std::string> captions;
  std::vector<int64_t> indices;  // dataset indices of the samples
  // Data parallel: this batch is rows [global_offset, global_offset + B) of a global batch of
  // global_batch samples (0 = the batch is the whole step). Tasks draw their per-sample random numbers
  // for the global batch and slice, so results do not depend on the number of ranks.
  int64_t global_batch = 0;
  int64_t global_offset = 0;
  int64_t batch_size() const { return latents.defined() ? latents.size(0) : 0; }
};

// Reads `indices` from `dataset` and stacks them (float32 on CPU). Throws vdf::Error if the samples do
// not share one shape (a dataset that breaks the bucket contract).
LatentBatch collate(const LatentDataset& dataset, const std::vector<int64_t>& indices);

// Parses a "TxHxW" bucket key; throws vdf::Error naming the key.
std::vector<int64_t> parse_bucket_key(const std::string& key);
std::string make_bucket_key(int64_t t, int64_t h, int64_t w);

}  // namespace vdf::data
