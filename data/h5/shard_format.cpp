#include "data/h5/shard_format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/core/error.h"

namespace vdf::data {

nlohmann::json to_json(const VaeIdentity& v) {
  return {{"name", v.name},   {"weights_sha256", v.weights_sha256}, {"latent_channels", v.latent_channels},
          {"ct", v.ct},       {"ch", v.ch},                         {"cw", v.cw},
          {"scale", v.scale}, {"shift", v.shift},                   {"pixel_range", v.pixel_range},
          {"channel_shift", v.channel_shift}, {"channel_scale", v.channel_scale}};
}

nlohmann::json to_json(const TextIdentity& t) {
  return {{"name", t.name}, {"weights_sha256", t.weights_sha256}, {"max_length", t.max_length},
          {"dim", t.dim},   {"pooled_dim", t.pooled_dim}};
}

nlohmann::json to_json(const InputOutcome& o) {
  nlohmann::json j = {{"row", o.row}, {"id", o.id}, {"path", o.path}, {"accepted", o.accepted}, {"clips", o.clips}};
  if (!o.accepted) {
    j["reason"] = o.reason;
    j["detail"] = o.detail;
  }
  return j;
}

InputOutcome input_outcome_from_json(const nlohmann::json& j) {
  InputOutcome o;
  o.row = j.value("row", int64_t(0));
  o.id = j.value("id", std::string());
  o.path = j.value("path", std::string());
  o.accepted = j.value("accepted", false);
  o.reason = j.value("reason", std::string());
  o.detail = j.value("detail", std::string());
  o.clips = j.value("clips", int64_t(0));
  return o;
}

namespace {
std::string short_hash(const std::string& h) { return h.empty() ? "<none>" : h.substr(0, 12); }
}  // namespace

void check_compatible(const ShardHeader& h, const VaeIdentity* ev, const TextIdentity* et, const std::string& what) {
  VDF_CHECK(h.format_version == kShardFormatVersion,
            "{}: shard format version {} is not supported (this vdf reads version {})", what, h.format_version,
            kShardFormatVersion);
  if (ev) {
    const VaeIdentity& v = h.vae;
    if ((!ev->name.empty() && v.name != ev->name) ||
        (!ev->weights_sha256.empty() && v.weights_sha256 != ev->weights_sha256))
      fail("{}: made with VAE '{}' (weights sha256 {}), but VAE '{}' (weights sha256 {}) is expected; re-ingest "
           "with that VAE or point the config at the VAE the shard was made with",
           what, v.name, short_hash(v.weights_sha256), ev->name, short_hash(ev->weights_sha256));
    if (ev->latent_channels > 0 &&
        (v.latent_channels != ev->latent_channels || v.ct != ev->ct || v.ch != ev->ch || v.cw != ev->cw))
      fail("{}: VAE latent layout {} channels, compression ({},{},{}) differs from the expected {} channels, ({},{},{})",
           what, v.latent_channels, v.ct, v.ch, v.cw, ev->latent_channels, ev->ct, ev->ch, ev->cw);
    if (ev->latent_channels > 0 && (v.scale != ev->scale || v.shift != ev->shift))
      fail("{}: VAE scaling (scale {}, shift {}) differs from the expected (scale {}, shift {})", what, v.scale,
           v.shift, ev->scale, ev->shift);
    if (ev->latent_channels > 0 && (v.channel_scale != ev->channel_scale || v.channel_shift != ev->channel_shift))
      fail("{}: VAE per-channel normalization (shift [{}], scale [{}]) differs from the expected (shift [{}], "
           "scale [{}])",
           what, fmt::join(v.channel_shift, ","), fmt::join(v.channel_scale, ","), fmt::join(ev->channel_shift, ","),
           fmt::join(ev->channel_scale, ","));
  }
  if (et) {
    const TextIdentity& t = h.text;
    if ((!et->name.empty() && t.name != et->name) ||
        (!et->weights_sha256.empty() && t.weights_sha256 != et->weights_sha256))
      fail("{}: made with text encoder '{}' (weights sha256 {}), but '{}' (weights sha256 {}) is expected", what,
           t.name, short_hash(t.weights_sha256), et->name, short_hash(et->weights_sha256));
    if (et->dim > 0 && (t.dim != et->dim || t.max_length != et->max_length || t.pooled_dim != et->pooled_dim))
      fail("{}: text embeddings are {}x{} (pooled {}), expected {}x{} (pooled {})", what, t.max_length, t.dim,
           t.pooled_dim, et->max_length, et->dim, et->pooled_dim);
  }
}

std::string bucket_key(int64_t frames, int64_t height, int64_t width) {
  return fmt::format("{}x{}x{}", frames, height, width);
}

std::string shard_file_name(int64_t rank, int64_t world_size, int64_t shard_index) {
  return fmt::format("shard-r{}of{}-{:05d}.h5", rank, world_size, shard_index);
}

}  // namespace vdf::data
