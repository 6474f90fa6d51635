#include "data/h5/shard_writer.h"

#include <unistd.h>

#include <fmt/format.h>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/h5/h5.h"

namespace vdf::data {

namespace fs = std::filesystem;

torch::Tensor to_stored_dtype(const torch::Tensor& t, const std::string& dtype) {
  const auto st = dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat16;
  return t.detach().to(torch::kCPU).to(st).contiguous();
}

std::string tensor_sha256(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  return sha256_hex(std::string_view(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()));
}

struct ShardWriter::Impl {
  h5::FileId file;
  h5::GroupId samples;
};

ShardWriter::ShardWriter(fs::path final_path, ShardHeader header, int gzip_level)
    : impl_(std::make_unique<Impl>()), final_path_(std::move(final_path)), header_(std::move(header)),
      gzip_level_(gzip_level) {
  temp_path_ = final_path_;
  temp_path_ += fmt::format(".tmp-{}", ::getpid());
  header_.compression = gzip_level_ > 0 ? fmt::format("gzip-{}", gzip_level_) : "none";
  impl_->file = h5::create_file(temp_path_);
  impl_->samples = h5::create_group(impl_->file.get(), "samples");
}

ShardWriter::~ShardWriter() {
  if (!finished_) {
    impl_.reset();
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void ShardWriter::add(int64_t index, const ShardSampleData& s) {
  VDF_CHECK(!finished_, "shard '{}': add() after finish()", final_path_.string());
  VDF_CHECK(index >= 0, "shard '{}': negative sample index", final_path_.string());
  if (index >= int64_t(meta_.size())) meta_.resize(size_t(index) + 1);
  VDF_CHECK(!meta_[index], "shard '{}': sample {} added twice", final_path_.string(), index);
  VDF_CHECK(s.latents.defined() && s.latents.dim() == 4, "shard '{}': sample {} latents must be [C,T,H,W]",
            final_path_.string(), index);
  const std::string name = fmt::format("{:06d}", index);
  h5::GroupId g = h5::create_group(impl_->samples.get(), name);
  SampleMeta meta = s.meta;
  torch::Tensor lat = to_stored_dtype(s.latents, header_.latent_dtype);
  meta.latent_sha256 = tensor_sha256(lat);
  meta.latent_shape = lat.sizes().vec();
  meta.bucket = bucket_key(lat.size(1), lat.size(2), lat.size(3));
  h5::DatasetOptions lopt{true, gzip_level_};
  h5::write_tensor(g.get(), "latents", lat, lopt);
  if (s.logvar.defined()) h5::write_tensor(g.get(), "logvar", to_stored_dtype(s.logvar, header_.latent_dtype), lopt);
  if (s.share_text_with >= 0) {
    VDF_CHECK(s.share_text_with < int64_t(meta_.size()) && meta_[s.share_text_with],
              "shard '{}': sample {} shares text with sample {} which was not added", final_path_.string(), index,
              s.share_text_with);
    const std::string other = fmt::format("{:06d}", s.share_text_with);
    for (const char* key : {"text", "text_mask", "pooled"})
      h5::hard_link(impl_->samples.get(), other + "/" + key, name + "/" + key);
  } else {
    VDF_CHECK(s.text.defined() && s.text_mask.defined() && s.pooled.defined(),
              "shard '{}': sample {} has no text embedding", final_path_.string(), index);
    h5::DatasetOptions topt{true, 0};
    h5::write_tensor(g.get(), "text", to_stored_dtype(s.text, header_.latent_dtype), topt);
    h5::write_tensor(g.get(), "text_mask", s.text_mask.to(torch::kCPU).to(torch::kUInt8), topt);
    h5::write_tensor(g.get(), "pooled", to_stored_dtype(s.pooled, header_.latent_dtype), topt);
  }
  meta_[index] = std::move(meta);
}

void ShardWriter::finish(const std::vector<InputOutcome>& inputs) {
  VDF_CHECK(!finished_, "shard '{}': finish() twice", final_path_.string());
  const int64_t n = int64_t(meta_.size());
  for (int64_t i = 0; i < n; ++i)
    VDF_CHECK(meta_[i].has_value(), "shard '{}': sample {} of {} was never added", final_path_.string(), i, n);
  const hid_t f = impl_->file.get();
  {
    h5::GroupId m = h5::create_group(f, "meta");
    std::vector<std::string> source, input_id, caption, content, src_hash, bucket, pixel_bucket, lat_hash, sig;
    auto start = torch::empty({n}, torch::kFloat64), end = torch::empty({n}, torch::kFloat64),
         fps = torch::empty({n}, torch::kFloat64);
    auto frames = torch::empty({n}, torch::kInt64), clip = torch::empty({n}, torch::kInt64),
         row = torch::empty({n}, torch::kInt64), shape = torch::zeros({n, 4}, torch::kInt64);
    for (int64_t i = 0; i < n; ++i) {
      const SampleMeta& s = *meta_[i];
      source.push_back(s.source);
      input_id.push_back(s.input_id);
      caption.push_back(s.caption);
      content.push_back(s.content_sha256);
      src_hash.push_back(s.source_sha256);
      bucket.push_back(s.bucket);
      pixel_bucket.push_back(s.pixel_bucket);
      sig.push_back(s.signature);
      lat_hash.push_back(s.latent_sha256);
      start[i] = s.start_s;
      end[i] = s.end_s;
      fps[i] = s.fps;
      frames[i] = s.frames;
      clip[i] = s.clip_index;
      row[i] = s.input_row;
      for (int d = 0; d < 4; ++d) shape[i][d] = s.latent_shape[d];
    }
    h5::write_strings(m.get(), "source", source);
    h5::write_strings(m.get(), "input_id", input_id);
    h5::write_strings(m.get(), "caption", caption);
    h5::write_strings(m.get(), "content_sha256", content);
    h5::write_strings(m.get(), "source_sha256", src_hash);
    h5::write_strings(m.get(), "bucket", bucket);
    h5::write_strings(m.get(), "pixel_bucket", pixel_bucket);
    h5::write_strings(m.get(), "signature", sig);
    h5::write_strings(m.get(), "latent_sha256", lat_hash);
    h5::write_tensor(m.get(), "start_s", start);
    h5::write_tensor(m.get(), "end_s", end);
    h5::write_tensor(m.get(), "fps", fps);
    h5::write_tensor(m.get(), "frames", frames);
    h5::write_tensor(m.get(), "clip_index", clip);
    h5::write_tensor(m.get(), "input_row", row);
    h5::write_tensor(m.get(), "latent_shape", shape);
  }
  {
    std::vector<std::string> lines;
    for (const auto& o : inputs) lines.push_back(to_json(o).dump());
    h5::write_strings(f, "inputs", lines);
  }
  const ShardHeader& h = header_;
  h5::set_attr(f, "format", kShardFormatName);
  h5::set_attr(f, "format_version", h.format_version);
  h5::set_attr(f, "num_samples", n);
  h5::set_attr(f, "num_inputs", int64_t(inputs.size()));
  h5::set_attr(f, "vae_name", h.vae.name);
  h5::set_attr(f, "vae_weights_sha256", h.vae.weights_sha256);
  h5::set_attr(f, "vae_latent_channels", h.vae.latent_channels);
  h5::set_attr(f, "vae_ct", h.vae.ct);
  h5::set_attr(f, "vae_ch", h.vae.ch);
  h5::set_attr(f, "vae_cw", h.vae.cw);
  h5::set_attr(f, "vae_scale", h.vae.scale);
  h5::set_attr(f, "vae_shift", h.vae.shift);
  // per-channel normalization as JSON arrays of doubles (exact round trip); absent when the VAE has none
  if (!h.vae.channel_shift.empty()) h5::set_attr(f, "vae_channel_shift", nlohmann::json(h.vae.channel_shift).dump());
  if (!h.vae.channel_scale.empty()) h5::set_attr(f, "vae_channel_scale", nlohmann::json(h.vae.channel_scale).dump());
  h5::set_attr(f, "vae_pixel_range", h.vae.pixel_range);
  h5::set_attr(f, "text_name", h.text.name);
  h5::set_attr(f, "text_weights_sha256", h.text.weights_sha256);
  h5::set_attr(f, "text_max_length", h.text.max_length);
  h5::set_attr(f, "text_dim", h.text.dim);
  h5::set_attr(f, "text_pooled_dim", h.text.pooled_dim);
  h5::set_attr(f, "latent_dtype", h.latent_dtype);
  h5::set_attr(f, "compression", h.compression);
  h5::set_attr(f, "ingest_config", h.config_yaml);
  h5::set_attr(f, "config_sha256", h.config_sha256);
  h5::set_attr(f, "rank", h.rank);
  h5::set_attr(f, "world_size", h.world_size);
  h5::set_attr(f, "shard_index", h.shard_index);
  h5::set_attr(f, "vdf_version", h.vdf_version);
  h5::flush(f);
  impl_->samples.reset();
  impl_->file.reset();
  fsync_path(temp_path_);
  commit_rename(temp_path_, final_path_);
  finished_ = true;
}

}  // namespace vdf::data
