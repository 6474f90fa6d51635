#include "train/sampling.h"

#include <optional>

#include <fmt/format.h>

#include "data/dataset.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/diffusion/sampler.h"
#include "framework/image/png.h"
#include "framework/models/text/text_encoder.h"
#include "framework/models/vae/vae.h"
#include "framework/tensor_io/safetensors.h"
#include "train/dit_task.h"
#include "train/run_dir.h"
#include "framework/tensor_io/weights.h"
#include "train/trainer.h"
#ifdef VDF_WITH_VIDEO
#include "framework/video/writer.h"
#endif

namespace vdf::train {

std::vector<int64_t> parse_latent_shape(const std::string& text) { return data::parse_bucket_key(text); }

namespace {
// Up to `max_frames` evenly spaced frames of uint8 [T,H,W,3] side by side: [H, k*W, 3].
torch::Tensor sampling_frame_strip(const torch::Tensor& frames, int64_t max_frames) {
  const int64_t t = frames.size(0);
  const int64_t k = std::min(t, max_frames);
  std::vector<torch::Tensor> picked;
  for (int64_t i = 0; i < k; ++i) picked.push_back(frames[k == 1 ? 0 : i * (t - 1) / (k - 1)]);
  return torch::cat(picked, 1).contiguous();
}
}  // namespace

void check_encoders_match(SamplePipeline& pipeline, const data::LatentDataset& dataset) {
  const std::optional<data::EncoderProvenance> p = dataset.provenance();
  if (!p) return;
  const auto& vi = pipeline.vae().info();
  VDF_CHECK(vi.weights_sha256 == p->vae_weights_sha256 && vi.scale == p->vae_scale,
            "vae.* builds VAE '{}' (weights {}, scale {}) but data.shards='{}' was encoded with '{}' (weights {}, "
            "scale {}); set vae.* to the ingest config's VAE",
            vi.name, vi.weights_sha256.substr(0, 12), vi.scale, p->source, p->vae_name,
            p->vae_weights_sha256.substr(0, 12), p->vae_scale);
  VDF_CHECK(vi.channel_shift == p->vae_channel_shift && vi.channel_scale == p->vae_channel_scale,
            "vae.* builds VAE '{}' with a different per-channel latent normalization than data.shards='{}' was "
            "encoded with (its config.json latents_mean / latents_std differ); set vae.* to the ingest config's VAE",
            vi.name, p->source);
  auto& te = pipeline.text_encoder();
  // The name carries what the weights hash does not (T5/UMT5: mask, zeroing and cleaning conventions).
  VDF_CHECK(te.weights_sha256() == p->text_weights_sha256 && te.max_length() == p->text_max_length &&
                te.name() == p->text_name,
            "text_encoder.* builds '{}' (weights {}, max_length {}) but data.shards='{}' holds embeddings of '{}' "
            "(weights {}, max_length {}); set text_encoder.* to the ingest config's",
            te.name(), te.weights_sha256().substr(0, 12), te.max_length(), p->source, p->text_name,
            p->text_weights_sha256.substr(0, 12), p->text_max_length);
}

std::function<void(int64_t, const fs::path&)> ema_sample_hook(const Trainer& trainer,
                                                              std::shared_ptr<SamplePipeline> pipeline,
                                                              config::DitConfig model, SampleJob job,
                                                              int64_t init_seed) {
  return [&trainer, pipeline, model, job, init_seed](int64_t step, const fs::path& dir) {
    torch::manual_seed(init_seed);
    dit::Dit ema_model(model);
    ema_model->to(trainer.device());
    tensor_io::LoadOptions ema_weights;
    ema_weights.what = "EMA weights";
    tensor_io::load_weights(*ema_model, trainer.ema().tensors(), ema_weights);
    SampleJob j = job;
    j.out_dir = dir;
    j.provenance = {{"step", step}, {"weights", "ema"}};
    pipeline->run(ema_model, j);
  };
}

SamplePipeline::SamplePipeline(SamplingConfig cfg, torch::Device device)
    : cfg_(std::move(cfg)), device_(device) {}
SamplePipeline::~SamplePipeline() = default;

text::TextEncoder& SamplePipeline::text_encoder() {
  if (!text_) text_ = text::make_text_encoder(cfg_.text_encoder);
  return *text_;
}

vae::Vae& SamplePipeline::vae() {
  if (!vae_) vae_ = vae::make_vae(cfg_.vae);
  return *vae_;
}

nlohmann::json SamplePipeline::run(dit::Dit& model, const SampleJob& job) {
  model->eval();
  diffusion::ModelFn fn = [&](const torch::Tensor& x, const torch::Tensor& t, const diffusion::Conditioning& c) {
    return model->forward(x, t, c.text, c.text_mask, c.pooled);
  };
  nlohmann::json info = run(fn, model->config(), job);
  model->train();
  return info;
}

nlohmann::json SamplePipeline::run(const diffusion::ModelFn& fn, const config::DitConfig& mc, const SampleJob& job) {
  VDF_CHECK(!job.prompts.empty(), "sampling: no prompts");
  VDF_CHECK(job.latent_thw.size() == 3, "sampling: latent shape must be [T, H, W]");
  text_encoder();
  vae();
  VDF_CHECK(text_->dim() == mc.text_dim,
            "text encoder '{}' gives {}-wide token embeddings but model.text_dim is {}", text_->name(), text_->dim(),
            mc.text_dim);
  VDF_CHECK(vae_->info().latent_channels == mc.in_channels,
            "VAE '{}' has {} latent channels but model.in_channels is {}", vae_->info().name,
            vae_->info().latent_channels, mc.in_channels);
  fs::create_directories(job.out_dir);
  torch::NoGradGuard no_grad;
  diffusion::Sampler sampler(cfg_.diffusion, job.sample);
  const std::vector<int64_t> shape = {1, mc.in_channels, job.latent_thw[0], job.latent_thw[1], job.latent_thw[2]};
  const int64_t tokens = dit_tokens({shape[1], shape[2], shape[3], shape[4]}, mc.patch);
  const bool pooled = mc.family == config::ModelFamily::dit && mc.pooled_dim > 0;
  nlohmann::json outputs = nlohmann::json::array();
  for (size_t i = 0; i < job.prompts.size(); ++i) {
    text::TextEmbedding emb = text_->encode({job.prompts[i]});
    diffusion::Conditioning cond;
    cond.text = emb.tokens.to(device_, torch::kFloat32);
    cond.text_mask = emb.mask.to(device_);
    if (pooled) cond.pooled = emb.pooled.to(device_, torch::kFloat32);
    config::SampleConfig sc = job.sample;
    sc.seed = job.sample.seed + static_cast<int64_t>(i);
    diffusion::Sampler s(cfg_.diffusion, sc);
    // CFG with a negative prompt: its embedding replaces the null condition in the unconditional branch.
    std::optional<diffusion::Conditioning> negative;
    if (!sc.negative_prompt.empty() && sc.cfg_scale != 1.0) {
      text::TextEmbedding neg = text_->encode({sc.negative_prompt});
      negative.emplace();
      negative->text = neg.tokens.to(device_, torch::kFloat32);
      negative->text_mask = neg.mask.to(device_);
      if (pooled) negative->pooled = neg.pooled.to(device_, torch::kFloat32);
    }
    torch::Tensor latents = s.sample(fn, shape, cond, negative ? &*negative : nullptr, tokens, device_);
    torch::Tensor video = vae_->decode(latents.to(vae_->device(), vae_->dtype()));  // [1,3,T,H,W] in [0,1]
    torch::Tensor frames = (video[0].permute({1, 2, 3, 0}).to(torch::kFloat32).clamp(0, 1) * 255.0)
                               .round()
                               .to(torch::kUInt8)
                               .contiguous()
                               .cpu();  // [T,H,W,3]
    const std::string stem = fmt::format("{:03d}", i);
    // Latents go to a subfolder: the output folder itself holds only clips, so `vdf eval --generated` can
    // read it as a clip folder.
    fs::create_directories(job.out_dir / "latents");
    tensor_io::save_safetensors(job.out_dir / "latents" / (stem + ".safetensors"), {{"latents", latents.cpu().contiguous()}},
                                {{"prompt", job.prompts[i]}});
    nlohmann::json out = {{"prompt", job.prompts[i]}, {"seed", sc.seed}, {"latents", "latents/" + stem + ".safetensors"},
                          {"frames", frames.size(0)}, {"height", frames.size(1)}, {"width", frames.size(2)}};
    // A strip of frames (frames/NNN.png, beside the clip folder): what TensorBoard and `vdf compare` show.
    const torch::Tensor strip = sampling_frame_strip(frames, 8);
    fs::create_directories(job.out_dir / "frames");
    image::write_png((job.out_dir / "frames" / (stem + ".png")).string(), strip);
    out["strip"] = {{"file", "frames/" + stem + ".png"}, {"height", strip.size(0)}, {"width", strip.size(1)}};
#ifdef VDF_WITH_VIDEO
    video::write_mp4((job.out_dir / (stem + ".mp4")).string(), frames, job.fps);
    out["video"] = stem + ".mp4";
#else
    tensor_io::save_safetensors(job.out_dir / (stem + ".frames.safetensors"), {{"frames", frames}},
                                {{"prompt", job.prompts[i]}, {"layout", "THWC uint8"}});
    out["frames_file"] = stem + ".frames.safetensors";
    VDF_WARN("built without video I/O: wrote decoded frames of prompt {} as {} (uint8 [T,H,W,3]) instead of MP4",
             i, (job.out_dir / (stem + ".frames.safetensors")).string());
#endif
    outputs.push_back(out);
    VDF_INFO("sample {}/{}: '{}' -> {}", i + 1, job.prompts.size(), job.prompts[i], job.out_dir.string());
  }
  nlohmann::json info = {
      {"sampler", config::enum_name(job.sample.sampler)},  {"steps", job.sample.steps},     {"cfg_scale", job.sample.cfg_scale},
      {"seed", job.sample.seed},        {"eta", job.sample.eta}, {"negative_prompt", job.sample.negative_prompt},         {"shift", sampler.shift(tokens)},
      {"latent_shape", shape},          {"fps", job.fps},                {"text_encoder", text_->name()},
      {"vae", vae_->info().name},       {"device", device_.str()},       {"outputs", outputs},
      {"video_io",
#ifdef VDF_WITH_VIDEO
       true
#else
       false
#endif
      },
      {"version", version_info()}};
  for (const auto& [k, v] : job.provenance.items()) info[k] = v;
  write_file_atomic(job.out_dir / "sample.json", info.dump(2) + "\n");
  // The {video, prompt} list `vdf eval --prompts` reads (CLIP score).
  std::string jsonl;
  for (const auto& o : outputs)
    if (o.contains("video")) jsonl += nlohmann::json({{"video", o["video"]}, {"prompt", o["prompt"]}}).dump() + "\n";
  if (!jsonl.empty()) write_file_atomic(job.out_dir / "prompts.jsonl", jsonl);
  return info;
}

}  // namespace vdf::train
