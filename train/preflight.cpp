#include "train/preflight.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/free_memory.h"
#include "framework/core/log.h"
#include "framework/models/cost/dit_cost.h"
#include "framework/models/cost/wan_cost.h"
#include "train/bucket_sampler.h"
#include "train/trainer.h"

namespace vdf::train {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// GiB from 1 GiB up, MiB below (small test configs).
std::string preflight_gib(double bytes) {
  return bytes >= kGiB ? fmt::format("{:.2f} GiB", bytes / kGiB) : fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0));
}

int64_t preflight_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Activation bytes of one rank for a bucket; the parts of the worst bucket are listed in `lines`.
double preflight_activations(const models::ActivationModel& a, const PreflightSetup& s, int64_t depth,
                             int64_t hidden, int64_t tokens_per_rank, int64_t batch, std::vector<MemoryLine>* lines,
                             double* host) {
  const double cb = s.mixed_precision ? 2.0 : 4.0;
  const bool mx = s.mixed_precision;
  const double n = static_cast<double>(tokens_per_rank), b = static_cast<double>(batch);
  const int64_t k = std::min(s.checkpointed_blocks, depth), plain = depth - k;
  const double block = b * (a.block_per_token.bytes(mx, cb) * n + a.block_per_sample.bytes(mx, cb));
  const double input = b * n * a.input_per_token.bytes(mx, cb);
  const double outside = b * (a.outside_per_token.bytes(mx, cb) * n + a.outside_per_sample.bytes(mx, cb));
  const double backward = b * n * a.backward_per_token.bytes(mx, cb);
  // Backward runs the plain (later) blocks first, freeing their activations, then recomputes the
  // checkpointed ones one at a time: the peak is at the start of backward, or during the first recompute
  // when every block is checkpointed.
  const double plain_bytes = static_cast<double>(plain) * block;
  const double recompute = (k > 0 && plain == 0) ? block : 0.0;
  const double inputs = s.offload ? 0.0 : static_cast<double>(k) * input;
  // Ulysses: q, k, v and the output pass through all-to-all send/receive buffers of one block.
  const double all_to_all = s.sequence_parallel > 1 ? b * n * static_cast<double>(hidden) * cb * 8.0 : 0.0;
  if (host) *host = s.offload ? static_cast<double>(k) * input : 0.0;
  if (lines) {
    const auto A = MemoryKind::activations;
    lines->push_back({fmt::format("activations: {} plain block(s)", plain), plain_bytes, A});
    if (k > 0) {
      lines->push_back({fmt::format("activations: inputs of {} checkpointed block(s){}", k,
                                    s.offload ? " (offloaded to host)" : ""),
                        inputs, A});
      lines->push_back({"activations: recompute of one block in backward", recompute, A});
    }
    lines->push_back({"activations: embeddings, final layer, loss", outside, A});
    lines->push_back({"activations: backward working set of one block", backward, A});
    if (all_to_all > 0) lines->push_back({"activations: Ulysses all-to-all buffers", all_to_all, A});
  }
  return plain_bytes + inputs + recompute + outside + backward + all_to_all;
}

}  // namespace

PreflightEstimate estimate_preflight(const models::ModelCost& model, const std::vector<BucketLoad>& buckets,
                                     int64_t text_len, const PreflightSetup& s) {
  VDF_CHECK(!buckets.empty(), "pre-flight: no buckets to estimate (empty training split?)");
  VDF_CHECK(s.world_size >= 1, "pre-flight: world size {} must be >= 1", s.world_size);
  const int64_t sp = s.sequence_parallel;
  VDF_CHECK(sp >= 1 && s.world_size % sp == 0,
            "distributed.sequence_parallel={} must divide the world size {}", sp, s.world_size);
  VDF_CHECK(model.heads() % sp == 0, "distributed.sequence_parallel={} must divide the {} attention heads of {}", sp,
            model.heads(), model.name());
  PreflightEstimate e;
  e.model = model.name();
  e.parameters = model.parameters();
  e.setup = s;
  const models::ActivationModel act = model.activations(text_len);
  const int64_t groups = s.world_size / sp;  // data-parallel groups: each takes one per-rank batch
  const int64_t k = std::min(s.checkpointed_blocks, model.depth());

  double worst_bytes = -1;
  for (const auto& load : buckets) {
    BucketEstimate b;
    b.load = load;
    b.tokens_per_sample = model.tokens(load.latent_cthw);
    b.tokens_per_rank = preflight_ceil_div(b.tokens_per_sample, sp);
    b.activation_bytes = preflight_activations(act, s, model.depth(), model.hidden(), b.tokens_per_rank, load.batch,
                                               nullptr, nullptr);
    const double fwd = model.forward_flops(load.latent_cthw, text_len);
    const double recompute = model.block_forward_flops(load.latent_cthw, text_len) * static_cast<double>(k) /
                             static_cast<double>(model.depth());
    const int64_t global_batch = load.batch * groups;
    b.flops_per_step = (3.0 * fwd + recompute) * static_cast<double>(global_batch);
    b.tokens_per_step = b.tokens_per_sample * global_batch;
    e.buckets.push_back(b);
  }
  std::sort(e.buckets.begin(), e.buckets.end(),
            [](const BucketEstimate& a, const BucketEstimate& b) { return a.load.bucket < b.load.bucket; });
  // The worst bucket among those the sampler can draw (all of them if none can: planning).
  bool any_drawn = false;
  for (const auto& b : e.buckets) any_drawn = any_drawn || b.load.forms_batch;
  for (size_t i = 0; i < e.buckets.size(); ++i) {
    if (any_drawn && !e.buckets[i].load.forms_batch) continue;
    if (e.buckets[i].activation_bytes > worst_bytes) worst_bytes = e.buckets[i].activation_bytes, e.worst = i;
  }

  // Model state per rank. vdf keeps fp32 weights (the master copy) and fp32 gradients; bf16 autocast
  // adds the bf16 weight copies the forward casts (kept for backward).
  const double P = static_cast<double>(e.parameters), W = static_cast<double>(s.world_size);
  const double comm_bytes = s.comm_bf16 ? 2.0 : 4.0;
  const double blockP = static_cast<double>(model.block_parameters());
  const double outsideP = P - blockP * static_cast<double>(model.depth());
  using config::DistStrategy;
  const bool sharded_state = s.strategy != DistStrategy::ddp;
  const double shard = sharded_state ? W : 1.0;
  if (s.strategy == DistStrategy::zero3) {
    e.device.push_back({"weights: fp32 master shard (1/world)", 4 * P / W});
    // Gathered for compute: the blocks in use and prefetched (2) plus the non-block parameters.
    e.device.push_back({"weights: gathered for compute (2 blocks + embeddings/head)",
                        (2 * blockP + outsideP) * (s.mixed_precision ? 2.0 : 4.0)});
  } else {
    e.device.push_back({"weights: fp32", 4 * P});
    if (s.mixed_precision) e.device.push_back({"weights: bf16 copies made by autocast", 2 * P});
  }
  e.device.push_back({sharded_state ? "gradients: fp32 shard (1/world)" : "gradients: fp32", 4 * P / shard,
                      MemoryKind::gradients});
  if (s.world_size > 1) {
    if (s.strategy == DistStrategy::ddp)
      e.device.push_back({"gradients: all-reduce bucket buffers", P * comm_bytes});
    else
      e.device.push_back({"gradients: reduce-scatter buckets in flight (2)",
                          std::min(2 * s.bucket_mb * 1024 * 1024, P * comm_bytes)});  // a small model fills less
  }
  e.device.push_back({sharded_state ? "optimizer: AdamW m, v fp32 shard (1/world)" : "optimizer: AdamW m, v fp32",
                      8 * P / shard});
  if (s.ema) e.device.push_back({sharded_state ? "EMA: fp32 shard (1/world)" : "EMA: fp32", 4 * P / shard});
  const BucketEstimate& wb = e.buckets[e.worst];
  preflight_activations(act, s, model.depth(), model.hidden(), wb.tokens_per_rank, wb.load.batch, &e.device,
                        &e.host_bytes);
  double state = 0, grads = 0, activations = 0;
  for (const auto& l : e.device)
    (l.kind == MemoryKind::state ? state : l.kind == MemoryKind::gradients ? grads : activations) += l.bytes;
  e.device_bytes = state + std::max(grads, activations + 4 * blockP / shard);

  // Communication per rank and step (ring collectives: all-reduce 2(W-1)/W, all-gather and
  // reduce-scatter (W-1)/W, all-to-all (sp-1)/sp of the buffer).
  if (s.world_size > 1) {
    const double f = (W - 1) / W;
    switch (s.strategy) {
      case DistStrategy::ddp: e.comm.push_back({"gradient all-reduce", 2 * f * P * comm_bytes}); break;
      case DistStrategy::zero2:
        e.comm.push_back({"gradient reduce-scatter", f * P * comm_bytes});
        e.comm.push_back({"updated-weight all-gather", f * P * comm_bytes});
        break;
      case DistStrategy::zero3:
        e.comm.push_back({"weight all-gather (forward)", f * P * comm_bytes});
        e.comm.push_back({"weight all-gather (backward)", f * P * comm_bytes});
        e.comm.push_back({"gradient reduce-scatter", f * P * comm_bytes});
        break;
    }
  }
  if (sp > 1) {
    const double per_a2a = static_cast<double>(wb.load.batch * wb.tokens_per_rank * model.hidden()) *
                           (s.mixed_precision ? 2.0 : 4.0) * static_cast<double>(sp - 1) / static_cast<double>(sp);
    // q, k, v in and the output back: 4 per block forward, 4 in backward, 4 more per recomputed block.
    const double count = 8.0 * static_cast<double>(model.depth()) + 4.0 * static_cast<double>(k);
    e.comm.push_back({fmt::format("Ulysses all-to-all ({} per step)", static_cast<int64_t>(count)), count * per_a2a});
  }
  for (const auto& l : e.comm) e.comm_bytes += l.bytes;
  return e;
}

std::string PreflightEstimate::table() const {
  std::ostringstream o;
  const auto& s = setup;
  o << fmt::format("model        {}: {:.1f} M parameters\n", model, parameters / 1e6);
  o << fmt::format("setup        world size {}, strategy {}, sequence parallel {}, {} precision, comm {}, "
                   "{} checkpointed block(s){}\n",
                   s.world_size, config::enum_name(s.strategy), s.sequence_parallel,
                   s.mixed_precision ? "bf16 autocast" : "fp32", s.comm_bf16 ? "bf16" : "fp32", s.checkpointed_blocks,
                   s.offload ? " offloaded" : "");
  o << "\nbuckets (per-rank batch; worst marked *)\n";
  o << fmt::format("  {:<1} {:<14} {:>6} {:>9} {:>12} {:>12} {:>14} {:>12}\n", "", "bucket", "batch", "samples",
                   "tokens/smp", "act/rank", "TFLOP/step", "tokens/step");
  for (size_t i = 0; i < buckets.size(); ++i) {
    const auto& b = buckets[i];
    o << fmt::format("  {:<1} {:<14} {:>6} {:>9} {:>12} {:>12} {:>14.4g} {:>12}{}\n", i == worst ? "*" : "",
                     b.load.bucket, b.load.batch, b.load.samples > 0 ? std::to_string(b.load.samples) : "-",
                     b.tokens_per_sample, preflight_gib(b.activation_bytes), b.flops_per_step / 1e12,
                     b.tokens_per_step, b.load.forms_batch ? "" : "  (never a full batch: not drawn)");
  }
  o << fmt::format("\nper-rank device memory, worst bucket {}\n", worst_bucket().load.bucket);
  for (const auto& l : device) o << fmt::format("  {:<60} {:>12}\n", l.what, preflight_gib(l.bytes));
  o << fmt::format("  {:<60} {:>12}\n", "peak = state + max(gradients, activations + 1 block's gradients)",
                   preflight_gib(device_bytes));
  if (host_bytes > 0) o << fmt::format("  {:<60} {:>12}\n", "host memory (offloaded inputs)", preflight_gib(host_bytes));
  if (!comm.empty()) {
    o << "\ncommunication per rank and step\n";
    for (const auto& l : comm) o << fmt::format("  {:<60} {:>12}\n", l.what, preflight_gib(l.bytes));
    o << fmt::format("  {:<60} {:>12}\n", "total", preflight_gib(comm_bytes));
  }
  return o.str();
}

PreflightSetup preflight_setup(const config::DitConfig& model, const config::DistributedConfig& dist,
                               const config::TrainConfig& train, int world_size, const torch::Device& device) {
  PreflightSetup s;
  s.world_size = world_size;
  s.strategy = dist.strategy;
  s.sequence_parallel = dist.sequence_parallel;
  s.comm_bf16 = dist.comm_dtype == config::CommDtype::bfloat16;
  s.bucket_mb = dist.bucket_mb;
  s.checkpointed_blocks = model.resolved().checkpointed_blocks();
  s.offload = model.offload_activations && device.is_cuda();  // on the CPU the "host" is the device memory
  switch (train.precision) {
    case config::Precision::bf16: s.mixed_precision = true; break;
    case config::Precision::fp32: s.mixed_precision = false; break;
    case config::Precision::automatic: s.mixed_precision = device.is_cuda(); break;
  }
  return s;
}

std::vector<BucketLoad> dataset_buckets(const data::LatentDataset& dataset, const config::DataConfig& data,
                                        int64_t seed, int data_parallel_groups, int64_t* text_len) {
  std::vector<int64_t> train_indices, held_out;
  split_held_out(dataset.size(), data.val_samples, static_cast<uint64_t>(seed), &train_indices, &held_out);
  std::map<std::string, int64_t> counts;
  for (int64_t i : train_indices) counts[dataset.bucket_of(i)] += 1;
  int64_t channels = 0;
  if (dataset.size() > 0) {
    const data::LatentSample first = dataset.get(0);
    channels = first.latents.size(0);
    if (text_len) *text_len = first.text.size(0);
  }
  std::vector<BucketLoad> out;
  for (const auto& [key, n] : counts) {
    BucketLoad b;
    b.bucket = key;
    const auto thw = data::parse_bucket_key(key);
    b.latent_cthw = {channels, thw[0], thw[1], thw[2]};
    b.batch = bucket_batch_size(data, key);
    b.samples = n;
    b.forms_batch = n >= b.batch * data_parallel_groups;
    out.push_back(b);
  }
  return out;
}

PreflightEstimate estimate_run(const config::DitConfig& model, const config::DataConfig& data,
                               const config::DistributedConfig& dist, const config::TrainConfig& train, int64_t seed,
                               const data::LatentDataset& dataset, int world_size, const torch::Device& device) {
  const PreflightSetup setup = preflight_setup(model, dist, train, world_size, device);
  const int groups = std::max<int>(1, world_size / static_cast<int>(std::max<int64_t>(1, dist.sequence_parallel)));
  int64_t text_len = 0;
  const std::vector<BucketLoad> buckets = dataset_buckets(dataset, data, seed, groups, &text_len);
  VDF_CHECK(!buckets.empty(), "pre-flight: the training split of {} is empty (data.val_samples={} of {} samples)",
            dataset.describe(), data.val_samples, dataset.size());
  return estimate_preflight(*preflight_model_cost(model), buckets, text_len, setup);
}

std::unique_ptr<models::ModelCost> preflight_model_cost(const config::DitConfig& model) {
  if (model.family != config::ModelFamily::wan) return models::dit_cost(model);
  // The Wan family: the analytic cost of its resolved shape (preset or explicit widths) and the
  // family-independent widths of `model.*`.
  const config::WanConfig w = model.wan.resolved();
  models::WanShape shape;
  shape.name = w.preset.empty() ? fmt::format("Wan (dim {}, {} layers)", w.dim, w.layers) : "Wan2.1-" + w.preset;
  shape.dim = w.dim, shape.layers = w.layers, shape.heads = w.heads, shape.ffn = w.ffn_dim;
  shape.in_channels = model.in_channels;
  shape.out_channels = model.out_channels > 0 ? model.out_channels : model.in_channels;
  shape.text_dim = model.text_dim, shape.freq_dim = w.freq_dim, shape.patch = model.patch;
  return models::wan_cost(shape);
}

MemoryBudget memory_budget(const config::TrainConfig& train, const torch::Device& device, int local_world_size) {
  if (train.memory_budget_gb > 0) return {train.memory_budget_gb * kGiB, "train.memory_budget_gb"};
  if (device.is_cuda()) {
    const int64_t free = cuda_free_memory(device);
    if (free > 0) return {static_cast<double>(free), fmt::format("free memory of {}", device.str())};
  }
  const int64_t avail = host_available_memory();
  if (avail <= 0) return {0, "unknown (no /proc/meminfo)"};
  const int ranks = std::max(1, local_world_size);
  return {static_cast<double>(avail) / ranks,
          ranks > 1 ? fmt::format("available RAM / {} ranks on this node", ranks) : "available RAM"};
}

void check_memory(const PreflightEstimate& e, const MemoryBudget& budget, config::MemoryCheck mode) {
  if (mode == config::MemoryCheck::off || budget.bytes <= 0) return;
  const auto& wb = e.worst_bucket();
  VDF_INFO("pre-flight: {} per rank estimated for the worst bucket {} (batch {}), budget {} ({})",
           preflight_gib(e.device_bytes), wb.load.bucket, wb.load.batch, preflight_gib(budget.bytes), budget.source);
  if (e.device_bytes <= budget.bytes) return;
  const std::string msg = fmt::format(
      "pre-flight: the worst bucket {} (per-rank batch {}, {} tokens/sample) needs an estimated {} per rank but the "
      "budget is {} ({}).\n{}\nTo fit: raise model.checkpoint_blocks (-1 = all) or set model.offload_activations, "
      "lower the batch of that bucket (data.bucket_batch), use distributed.strategy zero2/zero3 or "
      "distributed.sequence_parallel > 1; train.memory_check=warn runs anyway",
      wb.load.bucket, wb.load.batch, wb.tokens_per_sample, preflight_gib(e.device_bytes), preflight_gib(budget.bytes),
      budget.source, e.table());
  if (mode == config::MemoryCheck::refuse) fail("{}", msg);
  VDF_WARN("{}", msg);
}

}  // namespace vdf::train
