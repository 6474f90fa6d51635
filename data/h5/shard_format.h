// The latent shard format (HDF5), documented in docs/data-format.md. This header holds the plain structs
// that describe a shard (no HDF5 types), shared by the writer, the reader, `vdf inspect` and the ingest
// pipeline. Version history: 1 = first format.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vdf::data {

inline constexpr const char* kShardFormatName = "vdf-latent-shard";
inline constexpr int64_t kShardFormatVersion = 1;
inline constexpr const char* kIndexFileName = "index.json";
inline constexpr const char* kReportFileName = "report.json";

// Identifies the VAE whose latents a shard holds; a reader refuses shards of a different VAE.
struct VaeIdentity {
  std::string name;            // e.g. "taef2"
  std::string weights_sha256;  // SHA-256 of the weights file(s)
  int64_t latent_channels = 0;
  int64_t ct = 1, ch = 1, cw = 1;  // compression (time, height, width)
  double scale = 1.0, shift = 0.0;  // latents are stored as Vae::encode returns them: (raw - shift) * scale
  std::string pixel_range = "[0,1]";
  // Per-channel normalization (Wan's latents_mean and 1/latents_std): (raw[c] - shift[c]) * scale[c].
  // Empty for VAEs without one and in shards written before it existed (attributes absent). Last, so
  // brace-initialized identities of the fields above keep their meaning.
  std::vector<double> channel_shift, channel_scale;
};

// Identifies the text encoder whose embeddings a shard holds.
struct TextIdentity {
  std::string name;            // e.g. "clip-vit-b32"
  std::string weights_sha256;
  int64_t max_length = 0;      // tokens per caption (L)
  int64_t dim = 0;             // per-token width (D)
  int64_t pooled_dim = 0;      // pooled width (Dp)
};

// File-level attributes of a shard.
struct ShardHeader {
  int64_t format_version = kShardFormatVersion;
  VaeIdentity vae;            // latents are stored as Vae::encode returns them: (raw - shift) * scale
  TextIdentity text;
  std::string latent_dtype = "float16";  // float16 | bfloat16 (latents, text embeddings, pooled)
  std::string compression = "none";      // none | gzip-<level> (shuffle + deflate per sample)
  std::string config_yaml;               // the resolved ingest/video/vae/text_encoder config
  std::string config_sha256;             // SHA-256 of config_yaml (content-relevant keys only)
  int64_t rank = 0, world_size = 1, shard_index = 0;
  std::string vdf_version;
};

// Per-sample metadata (the /meta columns). Everything a sampler needs without reading sample data.
struct SampleMeta {
  std::string source;          // input path as written in the manifest
  std::string input_id;        // manifest id (or the path)
  int64_t input_row = 0;       // manifest row of the input
  int64_t clip_index = 0;      // clip number within the input
  double start_s = 0, end_s = 0, fps = 0;  // clip time span in the source, and its frame rate
  int64_t frames = 0;          // pixel frames in the clip (1 for images)
  std::string caption;
  std::string content_sha256;  // SHA-256 of the clip's uint8 frames [T,H,W,3] as fed to the VAE
  std::string source_sha256;   // SHA-256 of the source file ("" when ingest.hash_sources is off)
  std::string bucket;          // bucket key "T'xH'xW'" of the LATENT (set by the writer); equal keys = equal shapes
  std::string pixel_bucket;    // bucket of the pixel clip as the video stage named it (default "TxHxW")
  std::string latent_sha256;   // SHA-256 of the stored latent bytes (little-endian, stored dtype)
  std::vector<int64_t> latent_shape;  // [C, T', H', W']
  std::string signature;       // near-duplicate signature of the clip (hex hashes, comma-separated; may be "")
};

// What happened to one manifest input; kept in the shard that owns the input, so a report can always
// be rebuilt from complete shards (accepted + rejected = inputs).
struct InputOutcome {
  int64_t row = 0;
  std::string id, path;
  bool accepted = false;
  std::string reason, detail;  // reject reason key and a human sentence
  int64_t clips = 0;           // samples this input produced
};

nlohmann::json to_json(const VaeIdentity& v);
nlohmann::json to_json(const TextIdentity& t);
nlohmann::json to_json(const InputOutcome& o);
InputOutcome input_outcome_from_json(const nlohmann::json& j);

// Throws vdf::Error naming `what` (usually the shard path) when the shard's models differ from the
// expected ones (name, weights hash, latent channels/compression/scale/shift; text name, hash, sizes).
// Empty expected fields are not checked.
void check_compatible(const ShardHeader& header, const VaeIdentity* expected_vae, const TextIdentity* expected_text,
                      const std::string& what);

// A bucket key "TxHxW".
std::string bucket_key(int64_t frames, int64_t height, int64_t width);

// "shard-r<rank>of<world>-<index>.h5" (5-digit index): names sort in shard order.
std::string shard_file_name(int64_t rank, int64_t world_size, int64_t shard_index);

}  // namespace vdf::data
