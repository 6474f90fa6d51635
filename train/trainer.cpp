#include "train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "framework/core/atomic_file.h"
#include "framework/core/autocast.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/core/progress.h"
#include "train/checkpoint.h"
#include "train/config_diff.h"
#include "train/lr_schedule.h"
#include "train/tensorboard_log.h"

namespace vdf::train {

uint64_t step_seed(int64_t run_seed, int64_t step, int rank, uint64_t stream) {
  uint64_t s = static_cast<uint64_t>(run_seed) * 0x9E3779B97F4A7C15ull;
  s ^= splitmix64(s) + static_cast<uint64_t>(step);
  s ^= splitmix64(s) + static_cast<uint64_t>(rank) * 0x632BE59BD9B4E019ull;
  s ^= splitmix64(s) + stream;
  return splitmix64(s) >> 1;  // torch seeds are uint64 but keep them positive for readability
}

int64_t bucket_batch_size(const config::DataConfig& data, const std::string& bucket) {
  for (const auto& b : data.bucket_batch)
    if (b.bucket == bucket) return b.batch_size;
  return data.batch_size;
}

torch::Device resolve_device(const std::string& device) {
  if (device == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  try {
    return torch::Device(device);
  } catch (const std::exception& e) {
    fail("run.device '{}': {}", device, e.what());
  }
}

Trainer::Trainer(TrainerConfig cfg, std::shared_ptr<TrainTask> task,
                 std::shared_ptr<const data::LatentDataset> dataset, DistHooks hooks, TrainerOptions options)
    : cfg_(std::move(cfg)),
      task_(std::move(task)),
      dataset_(std::move(dataset)),
      hooks_(std::move(hooks)),
      options_(std::move(options)),
      device_(options_.device ? *options_.device : resolve_device(cfg_.run.device)),
      paths_(run_paths(cfg_.run)) {
  VDF_CHECK(task_ && dataset_, "trainer: no task or dataset");
  const auto& tc = cfg_.train;
  task_->module().to(device_);
  task_->module().train();
  std::vector<NamedParameter> params = collect_parameters(task_->module(), tc.no_decay);
  // Sharded strategies: the optimizer updates only this rank's pieces of the fp32 master shard.
  if (hooks_.optimizer_parameters) params = hooks_.optimizer_parameters(task_->module(), std::move(params));
  optimizer_ = std::make_unique<AdamW>(std::move(params), AdamWOptions{tc.beta1, tc.beta2, tc.eps, tc.weight_decay});
  ema_ = std::make_unique<Ema>(task_->module(), tc.ema_decay, tc.ema_start);

  std::vector<int64_t> train_indices;
  split_held_out(dataset_->size(), cfg_.data.val_samples, static_cast<uint64_t>(cfg_.run.seed), &train_indices,
                 &val_indices_);
  std::vector<std::string> buckets;
  buckets.reserve(train_indices.size());
  for (int64_t i : train_indices) buckets.push_back(dataset_->bucket_of(i));
  for (const auto& b : buckets) global_batches_[b] = bucket_batch_size(cfg_.data, b) * hooks_.data_world();
  const config::DataConfig data_cfg = cfg_.data;
  sampler_ = std::make_unique<BucketBatchSampler>(
      std::move(train_indices), std::move(buckets),
      [data_cfg](const std::string& b) { return bucket_batch_size(data_cfg, b); },
      static_cast<uint64_t>(cfg_.run.seed), hooks_.data_rank(), hooks_.data_world());
}

Trainer::~Trainer() = default;

bool Trainer::use_autocast() const {
  switch (cfg_.train.precision) {
    case config::Precision::bf16: return true;
    case config::Precision::fp32: return false;
    case config::Precision::automatic: return device_.is_cuda();
  }
  return false;
}

StepResult Trainer::train_step() {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  StepResult r;
  r.step = step_ + 1;
  std::vector<int64_t> indices = sampler_->next(&r.bucket);
  data::LatentBatch batch = data::collate(*dataset_, indices);
  batch.latents = batch.latents.to(device_);
  batch.text = batch.text.to(device_);
  batch.text_mask = batch.text_mask.to(device_);
  batch.pooled = batch.pooled.to(device_);
  // The sampler gives every rank an equal contiguous slice of the global batch, in rank order (the ranks
  // of a sequence group share theirs: data_rank / data_world).
  batch.global_batch = static_cast<int64_t>(indices.size()) * hooks_.data_world();
  batch.global_offset = static_cast<int64_t>(indices.size()) * hooks_.data_rank();

  // Every random number of this step comes from (seed, step): the objective's generator has the same
  // seed on every rank and draws for the global batch (sliced per rank), so N ranks train exactly like
  // one process with the global batch; the global generators (module-internal randomness) are per rank.
  torch::manual_seed(step_seed(cfg_.run.seed, r.step, hooks_.rank, 1));
  torch::Generator gen = at::detail::createCPUGenerator(step_seed(cfg_.run.seed, r.step, 0, 2));

  const auto& params = optimizer_->parameters();
  zero_gradients(params);
  torch::Tensor loss;
  {
    autocast::Guard autocast(device_.type(), {use_autocast(), torch::kBFloat16});
    loss = task_->loss(batch, gen);
  }
  VDF_CHECK(loss.defined() && loss.numel() == 1, "training task returned a non-scalar loss");
  const double local_loss = loss.detach().to(torch::kFloat64).item<double>();
  // Backward even on a bad loss: every rank must take part in the same gradient collectives.
  loss.backward();
  hooks_.call_after_backward();
  const bool bad_loss = hooks_.max(std::isfinite(local_loss) ? 0.0 : 1.0) > 0;
  r.loss = hooks_.mean(local_loss);
  // Replicated: gradients are identical on every rank after all-reduce; sharded: each rank has its slice.
  r.grad_norm = hooks_.grad_norm(global_grad_norm(params));
  r.lr = learning_rate(cfg_.train, r.step);
  r.skipped = bad_loss || !std::isfinite(r.grad_norm);
  if (r.skipped) {
    skipped_total_ += 1;
    consecutive_skips_ += 1;
    VDF_WARN("step {}: {} — update skipped (weights, optimizer and EMA unchanged; {} skipped so far)", r.step,
             bad_loss ? fmt::format("loss is {}", local_loss) : fmt::format("gradient norm is {}", r.grad_norm),
             skipped_total_);
    if (consecutive_skips_ >= cfg_.train.max_consecutive_skips)
      fail("step {}: {} consecutive steps had a NaN/Inf loss or gradient (train.max_consecutive_skips); stopping "
           "— lower train.lr, check the data, or use train.precision=fp32",
           r.step, consecutive_skips_);
  } else {
    consecutive_skips_ = 0;
    clip_gradients(params, r.grad_norm, cfg_.train.grad_clip);
    optimizer_->step(r.lr);
    hooks_.call_after_optimizer_step();
    ema_->update(task_->module(), r.step);
  }
  hooks_.call_release_parameters();
  zero_gradients(params);
  last_lr_ = r.lr;
  step_ = r.step;
  r.global_batch = static_cast<int64_t>(indices.size()) * hooks_.data_world();
  consumed_samples_ += r.global_batch;
  r.tokens = r.global_batch * task_->tokens_per_sample(batch.latents.sizes().slice(1).vec());
  r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return r;
}

double Trainer::validation_loss(std::map<double, double>* per_t) {
  torch::NoGradGuard no_grad;
  // zero3: the whole model stays gathered (ranks may get different numbers of validation batches).
  hooks_.call_gather_parameters();
  task_->module().eval();
  // Held-out samples grouped by bucket (sorted), cut into batches, batches dealt round-robin to ranks.
  std::map<std::string, std::vector<int64_t>> by_bucket;
  for (int64_t i : val_indices_) by_bucket[dataset_->bucket_of(i)].push_back(i);
  std::vector<std::vector<int64_t>> batches;
  for (const auto& [bucket, members] : by_bucket) {
    const int64_t bs = bucket_batch_size(cfg_.data, bucket);
    for (size_t s = 0; s < members.size(); s += bs)
      batches.emplace_back(members.begin() + s, members.begin() + std::min(members.size(), s + bs));
  }
  double total = 0;
  const auto& ts = cfg_.train.val_timesteps;
  for (size_t ti = 0; ti < ts.size(); ++ti) {
    double sum = 0, count = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      // Sequence groups take the same batches (every rank of a group adds it: numerator and count alike).
      if (static_cast<int>(b % hooks_.data_world()) != hooks_.data_rank()) continue;
      data::LatentBatch batch = data::collate(*dataset_, batches[b]);
      batch.latents = batch.latents.to(device_);
      batch.text = batch.text.to(device_);
      batch.text_mask = batch.text_mask.to(device_);
      batch.pooled = batch.pooled.to(device_);
      torch::Generator gen =
          at::detail::createCPUGenerator(step_seed(cfg_.train.val_seed, static_cast<int64_t>(b), 0, 100 + ti));
      torch::Tensor loss;
      {
        autocast::Guard autocast(device_.type(), {use_autocast(), torch::kBFloat16});
        loss = task_->loss_at(batch, ts[ti], gen);
      }
      const double n = static_cast<double>(batches[b].size());
      sum += loss.to(torch::kFloat64).item<double>() * n;
      count += n;
    }
    sum = hooks_.sum(sum);
    count = hooks_.sum(count);
    const double mean = count > 0 ? sum / count : std::nan("");
    if (per_t) (*per_t)[ts[ti]] = mean;
    total += mean;
  }
  task_->module().train();
  hooks_.call_release_parameters();
  return ts.empty() ? std::nan("") : total / static_cast<double>(ts.size());
}

fs::path Trainer::save(const fs::path& checkpoints_root) {
  CheckpointWriter writer;
  writer.rank = hooks_.rank;
  writer.sharded_optimizer = hooks_.sharded_optimizer;
  writer.barrier = hooks_.barrier;
  CheckpointState s;
  s.step = step_;
  s.optimizer = optimizer_->state_tensors();  // sharded: this rank's pieces; replicated: rank 0 writes it
  if (!hooks_.is_main()) {
    hooks_.call_gather_parameters();  // zero3: a collective, every rank takes part
    hooks_.call_release_parameters();
    return save_checkpoint(checkpoints_root, s, cfg_.train.keep_last, writer);
  }
  s.optimizer_steps = optimizer_->step_count();
  s.skipped_total = skipped_total_;
  s.consumed_samples = consumed_samples_;
  s.sampler = sampler_->position();
  s.lr = last_lr_;
  s.world_size = hooks_.world_size;
  s.global_batches = global_batches_;
  s.config_yaml = cfg_.resolved_yaml;
  hooks_.call_gather_parameters();
  s.model = tensor_io::state_dict_copy(task_->module());
  hooks_.call_release_parameters();
  s.ema = ema_->tensors();
  s.rng = capture_rng_state();
  return save_checkpoint(checkpoints_root, s, cfg_.train.keep_last, writer);
}

void Trainer::resume_from(const fs::path& dir) {
  CheckpointState s = load_checkpoint(dir);
  for (const auto& d : check_resume_config(s.config_yaml, cfg_.resolved_yaml, resume_allowed_keys(), dir.string()))
    VDF_INFO("resume: {} changed {} -> {} (allowed)", d.key, d.before, d.after);
  check_elastic_resume(s.world_size, s.global_batches, hooks_.world_size, global_batches_, dir.string());
  if (s.world_size != hooks_.world_size)
    VDF_INFO("elastic resume: world size {} -> {} with the same global batches", s.world_size, hooks_.world_size);
  tensor_io::LoadOptions model_weights;
  model_weights.source = (dir / "model.safetensors").string();
  model_weights.what = "checkpoint";
  tensor_io::load_weights(task_->module(), s.model, model_weights);
  with_context((dir / "ema.safetensors").string(), [&] { ema_->load(s.ema); });
  with_context((dir / "optimizer*.safetensors").string(), [&] {
    // Any world size and strategy: consolidate the saved moments per parameter and cut this rank's part.
    std::vector<std::string> wanted;
    for (const auto& p : optimizer_->parameters()) wanted.push_back(p.name);
    optimizer_->load_state(reshard_optimizer_state(s.optimizer, s.model, wanted), s.optimizer_steps);
  });
  restore_rng_state(s.rng);
  sampler_->set_position(s.sampler);
  step_ = s.step;
  skipped_total_ = s.skipped_total;
  consumed_samples_ = s.consumed_samples;
  last_lr_ = s.lr;
  consecutive_skips_ = 0;
  VDF_INFO("resumed from {} at step {} (epoch {}, batch {})", dir.string(), step_, s.sampler.epoch, s.sampler.batch);
}

std::vector<std::string> Trainer::resume_allowed_keys() const {
  std::vector<std::string> keys = cfg_.train.resume_allow_changes;
  // Elastic resume: the strategy, world size and per-rank batch sizes may change as long as the global
  // batches stay the same (check_elastic_resume), which keeps the data order and the objective's draws.
  for (const char* k : {"distributed", "data.batch_size", "data.bucket_batch", "train.resume_from"}) keys.push_back(k);
  return keys;
}

void check_elastic_resume(int saved_world, const std::map<std::string, int64_t>& saved_global,
                          int world, const std::map<std::string, int64_t>& global, const std::string& checkpoint) {
  if (saved_global.empty()) {  // format 1 checkpoints did not record the global batches
    VDF_CHECK(saved_world == world,
              "cannot resume {} (saved with world size {}) with world size {}: it predates elastic resume "
              "(no global batch sizes recorded); resume with the same number of processes",
              checkpoint, saved_world, world);
    return;
  }
  std::string bad;
  for (const auto& [bucket, n] : global) {
    auto it = saved_global.find(bucket);
    const int64_t before = it == saved_global.end() ? -1 : it->second;
    if (before != n)
      bad += fmt::format("{}bucket {}: {} before, {} now ({} ranks)", bad.empty() ? "" : "; ", bucket, before, n, world);
  }
  VDF_CHECK(bad.empty(),
            "cannot resume {} with world size {} (saved with {}): the global batch sizes differ ({}); set the "
            "per-rank data.batch_size / data.bucket_batch so that per-rank batch x world size stays the same",
            checkpoint, world, saved_world, bad);
}

void Trainer::log_step(const StepResult& r) {
  if (!metrics_) return;
  nlohmann::json j = {{"kind", "train"},
                      {"step", r.step},
                      {"loss", r.loss},
                      {"lr", r.lr},
                      {"grad_norm", r.grad_norm},
                      {"step_time", r.seconds},
                      {"samples_per_s", r.seconds > 0 ? r.global_batch / r.seconds : 0.0},
                      {"tokens_per_s", r.seconds > 0 ? r.tokens / r.seconds : 0.0},
                      {"skipped", r.skipped ? 1 : 0},
                      {"skipped_total", skipped_total_},
                      {"bucket", r.bucket},
                      {"batch", r.global_batch},
                      {"samples_seen", consumed_samples_},
                      {"epoch", sampler_->position().epoch}};
  metrics_->write(j);
}

void Trainer::run() {
  const auto& tc = cfg_.train;
  const bool main = hooks_.is_main();
  // Rank 0 verifies the checkpoints' hashes and picks one (train.resume_from, or the newest intact);
  // every rank resumes from the same.
  std::optional<fs::path> ckpt = find_latest_checkpoint(paths_.checkpoints);
  if (tc.resume != config::ResumeMode::never || !tc.resume_from.empty()) {
    std::string chosen;
    if (main) {
      auto c = choose_resume_checkpoint(paths_.checkpoints, tc.resume_from);
      chosen = c ? c->string() : "";
    }
    chosen = hooks_.agreed(chosen);
    ckpt = chosen.empty() ? std::nullopt : std::optional<fs::path>(chosen);
  }
  if (tc.resume == config::ResumeMode::never && ckpt)
    fail("run directory {} already has checkpoint {} and train.resume=never: use another run.name or remove it",
         paths_.root.string(), ckpt->string());
  if (tc.resume == config::ResumeMode::always && !ckpt)
    fail("--resume: run directory {} has no checkpoint to resume from", paths_.root.string());

  if (main && options_.write_run_dir) {
    remove_checkpoint_temporaries(paths_.checkpoints);
    // Before touching config.yaml: a mismatched resume must fail without rewriting the run's files.
    if (ckpt) {
      const CheckpointState saved = read_checkpoint_state(*ckpt);
      check_resume_config(saved.config_yaml, cfg_.resolved_yaml, resume_allowed_keys(), ckpt->string());
      check_elastic_resume(saved.world_size, saved.global_batches, hooks_.world_size, global_batches_, ckpt->string());
    }
    prepare_run_directory(paths_, options_.command_line, cfg_.resolved_yaml);
    log::add_file_sink(paths_.log.string());
  }
  hooks_.call_barrier();
  VDF_INFO("run directory {}", paths_.root.string());
  VDF_INFO("model: {}", task_->describe());
  VDF_INFO("data: {} ({} batches per epoch, {} held out)", dataset_->describe(), sampler_->batches_per_epoch(),
           val_indices_.size());
  VDF_INFO("device {}, precision {}, {} of {} parameter tensors get weight decay", device_.str(),
           use_autocast() ? "bf16 autocast (fp32 master weights)" : "fp32", optimizer_->decayed_count(),
           optimizer_->parameters().size());
  if (ckpt) resume_from(*ckpt);
  hooks_.call_broadcast(task_->module());
  if (main && options_.write_run_dir) {
    metrics_ = std::make_unique<MetricsLog>(paths_.metrics);
    metrics_->truncate_after(step_);
    if (cfg_.train.tensorboard) {
      tensorboard_ = std::make_unique<TensorBoardLog>(paths_.root, step_);
      tensorboard_->write_config(step_, cfg_.resolved_yaml);
      metrics_->set_mirror([tb = tensorboard_.get()](const nlohmann::json& record) { tb->write_metrics(record); });
    }
  }
  if (step_ >= tc.steps) {
    VDF_INFO("already at step {} of {}: nothing to do", step_, tc.steps);
    return;
  }

  ProgressBar bar("train", tc.steps, "step");
  bar.advance(step_);
  while (step_ < tc.steps) {
    StepResult r = train_step();
    bar.advance();
    bar.set_postfix(fmt::format("loss {:.4f} lr {:.2e}", r.loss, r.lr));
    if (r.step % tc.log_every == 0 || r.step == tc.steps || r.skipped) log_step(r);
    if (tc.val_every > 0 && (r.step % tc.val_every == 0 || r.step == tc.steps) && !val_indices_.empty()) {
      std::map<double, double> per_t;
      const double v = validation_loss(&per_t);
      nlohmann::json by_t = nlohmann::json::object();
      for (const auto& [t, l] : per_t) by_t[fmt::format("{:g}", t)] = l;
      if (metrics_) metrics_->write({{"kind", "val"}, {"step", r.step}, {"samples_seen", consumed_samples_}, {"val_loss", v},
                                     {"val_loss_t", by_t}});
      VDF_INFO("step {}: validation loss {:.6f}", r.step, v);
    }
    if (main && sample_hook && tc.sample_every > 0 && r.step % tc.sample_every == 0) {
      sample_hook(r.step, paths_.samples / checkpoint_name(r.step));
      if (tensorboard_) tensorboard_->write_samples(r.step, paths_.samples / checkpoint_name(r.step));
    }
    const bool ckpt_now = (tc.ckpt_every > 0 && r.step % tc.ckpt_every == 0) || r.step == tc.steps;
    if (ckpt_now && options_.write_run_dir) {
      fs::path dir = save(paths_.checkpoints);  // every rank: shards, and zero3 gathers the weights
      if (main) VDF_DEBUG("checkpoint {}", dir.string());
      hooks_.call_barrier();
    }
    if (options_.stop_at_step > 0 && r.step >= options_.stop_at_step) {
      VDF_INFO("stopping after step {} (stop_at_step)", r.step);
      return;
    }
  }
  bar.finish();
  VDF_INFO("done: {} steps, {} skipped, last checkpoint {}", step_, skipped_total_,
           (paths_.checkpoints / checkpoint_name(step_)).string());
}

}  // namespace vdf::train
