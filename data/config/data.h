// Config section `data`: where training latents come from and how they are batched (train/). The
// dataset is either latent shards written by `vdf ingest` or an in-memory synthetic set for tests.
// Batches are bucketed: every sample of a batch has the same latent shape (its bucket key); each bucket
// may have its own batch size (per rank). See docs/training.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/binding.h"

namespace vdf::config {

struct BucketBatchConfig {
  std::string bucket;      // bucket key as the dataset reports it, e.g. "1x8x8" (frames x height x width)
  int64_t batch_size = 1;  // per-rank batch size for this bucket
  template <class V>
  void visit(V& v) {
    v("bucket", bucket, "bucket key (latent TxHxW, as reported by the dataset)");
    v("batch_size", batch_size, "per-rank batch size of this bucket");
  }
  void validate(const Check& c) const {
    c.require(!bucket.empty(), "bucket", bucket, "a bucket key");
    c.require(batch_size >= 1, "batch_size", batch_size, ">= 1");
  }
};

struct SyntheticDataConfig {
  int64_t size = 64;                        // number of samples
  int64_t seed = 0;                         // content seed (independent of run.seed)
  int64_t channels = 4;                     // latent channels
  std::vector<std::string> buckets{"1x8x8", "4x8x8"};  // latent shapes TxHxW, samples spread round-robin
  int64_t text_len = 8;                     // text tokens per sample (fixed length)
  int64_t text_dim = 32;                    // token embedding width
  int64_t pooled_dim = 32;                  // pooled embedding width
  template <class V>
  void visit(V& v) {
    v("size", size, "number of synthetic samples");
    v("seed", seed, "content seed of the synthetic samples");
    v("channels", channels, "latent channels");
    v("buckets", buckets, "latent shapes TxHxW; samples are assigned round-robin");
    v("text_len", text_len, "text tokens per sample");
    v("text_dim", text_dim, "token embedding width");
    v("pooled_dim", pooled_dim, "pooled text embedding width");
  }
  void validate(const Check& c) const {
    c.require(size >= 1, "size", size, ">= 1");
    c.require(channels >= 1, "channels", channels, ">= 1");
    c.require(!buckets.empty(), "buckets", buckets, "at least one TxHxW shape");
    c.require(text_len >= 1, "text_len", text_len, ">= 1");
    c.require(text_dim >= 1, "text_dim", text_dim, ">= 1");
    c.require(pooled_dim >= 1, "pooled_dim", pooled_dim, ">= 1");
  }
};

enum class DataSource { shards, synthetic };
VDF_CONFIG_ENUM(DataSource, {DataSource::shards, "shards"}, {DataSource::synthetic, "synthetic"})

struct DataConfig {
  DataSource source = DataSource::shards;
  std::string shards;                       // folder of latent shards (vdf ingest output); source shards only
  SyntheticDataConfig synthetic;            // source synthetic only
  int64_t batch_size = 4;                   // per-rank batch size of buckets not listed in bucket_batch
  std::vector<BucketBatchConfig> bucket_batch;  // per-bucket batch sizes
  int64_t val_samples = 8;                  // samples held out (never trained on) for validation loss

  template <class V>
  void visit(V& v) {
    v("source", source, "latent shards written by vdf ingest, or in-memory synthetic latents (tests)");
    v("shards", shards, "folder of latent shards written by vdf ingest",
      When{source == DataSource::shards, "data.source is shards", "source"});
    v("synthetic", synthetic, "in-memory random latents (tests)",
      When{source == DataSource::synthetic, "data.source is synthetic", "source"});
    v("batch_size", batch_size, "per-rank batch size for buckets not listed in bucket_batch");
    v("bucket_batch", bucket_batch, "per-bucket per-rank batch sizes");
    v("val_samples", val_samples, "samples held out for the validation loss (0 = none)");
  }
  void validate(const Check& c) const {
    if (source == DataSource::synthetic) synthetic.validate(c.sub("synthetic"));
    c.require(batch_size >= 1, "batch_size", batch_size, ">= 1");
    for (size_t i = 0; i < bucket_batch.size(); ++i)
      bucket_batch[i].validate(c.sub("bucket_batch[" + std::to_string(i) + "]"));
    c.require(val_samples >= 0, "val_samples", val_samples, ">= 0");
  }
};

}  // namespace vdf::config
