// Config section `ingest`: how `vdf ingest` turns a manifest of captioned videos/images into HDF5 latent
// shards (see docs/ingest.md and docs/data-format.md). The decoding/normalization rules live in the
// `video` section, the models in `vae` and `text_encoder`.
#pragma once
#include <cstdint>
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

enum class ManifestFormat { automatic, csv, jsonl };
VDF_CONFIG_ENUM(ManifestFormat, {ManifestFormat::automatic, "auto"}, {ManifestFormat::csv, "csv"},
                {ManifestFormat::jsonl, "jsonl"})
enum class LatentDtype { float16, bfloat16 };
VDF_CONFIG_ENUM(LatentDtype, {LatentDtype::float16, "float16"}, {LatentDtype::bfloat16, "bfloat16"})
enum class Compression { none, gzip };
VDF_CONFIG_ENUM(Compression, {Compression::none, "none"}, {Compression::gzip, "gzip"})

struct IngestConfig {
  std::string manifest;                 // CSV or JSONL; video paths are relative to the manifest's folder
  ManifestFormat manifest_format = ManifestFormat::automatic;  // auto: by extension
  std::string output = "data/latents";  // output folder: shards, index.json, report.json
  std::string split;                    // keep only entries of this split ("" = all)
  int inputs_per_shard = 64;            // manifest inputs per shard (samples per shard = their clips)
  int batch_size = 8;                   // clips per VAE call and captions per text-encoder call
  int threads = 0;                      // decode threads; 0 = hardware threads - 1 (at least 1)
  int queue_inputs = 0;                 // decoded inputs allowed ahead of the encoder; 0 = 2 * threads
  int rank = -1;                        // this process takes inputs i with i % world_size == rank;
  int world_size = -1;                  //   -1 = from env RANK / WORLD_SIZE (SLURM_PROCID / SLURM_NTASKS), else 0 / 1
  LatentDtype latent_dtype = LatentDtype::float16;  // stored dtype of latents and text embeddings
  Compression compression = Compression::none;      // gzip: HDF5 deflate + byte shuffle per sample chunk
  int compression_level = 4;            // gzip level 1..9
  bool store_logvar = false;            // also store the posterior log-variance when the VAE has one
  bool hash_sources = true;             // record the SHA-256 of every source file in the metadata
  bool progress = true;                 // progress bar on stderr

  template <class V>
  void visit(V& v) {
    v("manifest", manifest, "manifest file (CSV or JSONL; paths relative to it)");
    v("manifest_format", manifest_format, "manifest syntax; auto = by file extension");
    v("output", output, "output folder for shards, index.json and report.json");
    v("split", split, "only ingest entries of this split (empty = all)");
    v("inputs_per_shard", inputs_per_shard, "manifest inputs per shard (the unit of resume)");
    v("batch_size", batch_size, "clips per VAE call, captions per text-encoder call");
    v("threads", threads, "decode threads (0 = hardware threads - 1)");
    v("queue_inputs", queue_inputs, "decoded inputs buffered ahead of the encoder (0 = 2 x threads)");
    v("rank", rank, "this process's rank; takes every world_size-th input (-1 = env RANK or 0)");
    v("world_size", world_size, "number of ingest processes (-1 = env WORLD_SIZE or 1)");
    v("latent_dtype", latent_dtype, "stored dtype of latents and text embeddings");
    v("compression", compression, "gzip = deflate + shuffle, per-sample chunks");
    v("compression_level", compression_level, "gzip level 1..9",
      When{compression == Compression::gzip, "ingest.compression is gzip", "compression"});
    v("store_logvar", store_logvar, "also store the posterior log-variance when the VAE has one");
    v("hash_sources", hash_sources, "record SHA-256 of every source file");
    v("progress", progress, "show a progress bar");
  }
  void validate(const Check& c) const {
    c.require(!output.empty(), "output", output, "a folder path");
    c.require(inputs_per_shard >= 1, "inputs_per_shard", inputs_per_shard, ">= 1");
    c.require(batch_size >= 1, "batch_size", batch_size, ">= 1");
    c.require(threads >= 0, "threads", threads, ">= 0");
    c.require(queue_inputs >= 0, "queue_inputs", queue_inputs, ">= 0");
    c.require(world_size == -1 || world_size >= 1, "world_size", world_size, "-1 or >= 1");
    c.require(rank >= -1 && (world_size < 1 || rank < world_size), "rank", rank,
              "-1 or 0 <= rank < world_size");
    c.require(compression_level >= 1 && compression_level <= 9, "compression_level", compression_level,
              "1..9");
  }
};

}  // namespace vdf::config
