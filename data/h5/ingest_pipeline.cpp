#include "data/h5/ingest_pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "data/h5/shard_reader.h"
#include "data/h5/shard_writer.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/log.h"
#include "framework/core/progress.h"

namespace vdf::data {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return (end && *end == '\0') ? int(x) : fallback;
}

// One decoded input, produced by a decode thread.
struct Decoded {
  Extraction extraction;
  std::vector<std::string> content_sha256;  // per clip
  std::vector<std::vector<uint64_t>> signatures;  // per clip, when duplicate filtering is on
  std::string source_sha256;
  double seconds = 0;
};

struct Task {
  int64_t shard = 0;  // position in the todo list
  const ManifestEntry* entry = nullptr;
};

// A bounded, ordered decode pool: tasks are taken in order by N threads; results are consumed in order.
class DecodePool {
 public:
  DecodePool(std::vector<Task> tasks, const IngestStages& stages, int threads, int depth, bool hash_sources)
      : tasks_(std::move(tasks)), slots_(tasks_.size()), source_(stages.clips), depth_(depth),
        hash_sources_(hash_sources) {
    if (stages.duplicate_max_distance >= 0) signature_ = stages.signature;
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~DecodePool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  // Blocks until task `i` is decoded; returns it (moved out).
  Decoded take(size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return slots_[i].has_value(); });
    Decoded d = std::move(*slots_[i]);
    slots_[i].reset();
    consumed_ = i + 1;
    cv_.notify_all();
    return d;
  }
  double decode_seconds() {
    std::lock_guard<std::mutex> lock(mutex_);
    return decode_seconds_;
  }

 private:
  void work() {
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || (next_ < tasks_.size() && next_ < consumed_ + size_t(depth_)); });
        if (stop_) return;
        i = next_++;
      }
      Decoded d = decode(*tasks_[i].entry);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        decode_seconds_ += d.seconds;
        slots_[i] = std::move(d);
      }
      cv_.notify_all();
    }
  }

  Decoded decode(const ManifestEntry& e) {
    const auto t0 = Clock::now();
    Decoded d;
    if (!e.reject_reason.empty()) {
      d.extraction.accepted = false;
      d.extraction.reject_reason = e.reject_reason;
      d.extraction.detail = e.reject_detail;
      return d;
    }
    try {
      d.extraction = source_->extract(e);
      if (d.extraction.accepted && d.extraction.clips.empty()) {
        d.extraction.accepted = false;
        d.extraction.reject_reason = "no_clips";
        d.extraction.detail = "the input yielded no clip";
      }
      for (auto& c : d.extraction.clips) {
        VDF_CHECK(c.frames.defined() && c.frames.dim() == 4 && c.frames.size(3) == 3 &&
                      c.frames.scalar_type() == torch::kUInt8,
                  "clip {} is not uint8 [T,H,W,3]", c.index);
        c.frames = c.frames.contiguous();
        if (c.bucket.empty()) c.bucket = bucket_key(c.frames.size(0), c.frames.size(1), c.frames.size(2));
        d.content_sha256.push_back(tensor_sha256(c.frames));
        if (signature_) d.signatures.push_back(signature_(c.frames));
      }
      if (d.extraction.accepted && hash_sources_) d.source_sha256 = sha256_file(e.resolved);
    } catch (const std::exception& ex) {
      d = Decoded{};
      d.extraction.accepted = false;
      d.extraction.reject_reason = reject::kDecodeError;
      d.extraction.detail = ex.what();
    }
    if (!d.extraction.accepted) {
      d.extraction.clips.clear();
      if (d.extraction.reject_reason.empty()) d.extraction.reject_reason = "rejected";
    }
    d.seconds = seconds_since(t0);
    return d;
  }

  std::vector<Task> tasks_;
  std::vector<std::optional<Decoded>> slots_;
  ClipSource* source_;
  std::function<std::vector<uint64_t>(const torch::Tensor&)> signature_;
  int depth_;
  bool hash_sources_;
  size_t next_ = 0, consumed_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  double decode_seconds_ = 0;
};

// Near-duplicate memory of one rank, fed in manifest order. Two signatures match when every hash pair
// is within max_distance bits.
class DuplicateSet {
 public:
  explicit DuplicateSet(int max_distance) : max_(max_distance) {}
  bool enabled() const { return max_ >= 0; }
  const std::string* find_or_insert(const std::vector<uint64_t>& sig, const std::string& key) {
    for (const auto& [s, k] : entries_) {
      if (s.size() != sig.size() || s.empty()) continue;
      bool all = true;
      for (size_t i = 0; i < s.size() && all; ++i) all = __builtin_popcountll(s[i] ^ sig[i]) <= max_;
      if (all) return &k;
    }
    entries_.emplace_back(sig, key);
    return nullptr;
  }
  static std::string encode(const std::vector<uint64_t>& sig) {
    std::string out;
    for (uint64_t h : sig) out += fmt::format("{}{:016x}", out.empty() ? "" : ",", h);
    return out;
  }
  static std::vector<uint64_t> decode(const std::string& text) {
    std::vector<uint64_t> out;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find(',', pos);
      if (end == std::string::npos) end = text.size();
      out.push_back(std::stoull(text.substr(pos, end - pos), nullptr, 16));
      pos = end + 1;
    }
    return out;
  }
  // Drops the clips of `d` that duplicate earlier ones; rejects the input when none is left.
  void filter(const ManifestEntry& e, Decoded& d) {
    if (!enabled() || !d.extraction.accepted) return;
    Decoded kept = std::move(d);
    d = Decoded{};
    d.source_sha256 = kept.source_sha256;
    d.seconds = kept.seconds;
    d.extraction.accepted = kept.extraction.accepted;
    d.extraction.detail = kept.extraction.detail;
    std::string first_match;
    for (size_t c = 0; c < kept.extraction.clips.size(); ++c) {
      const auto& sig = kept.signatures.at(c);
      const std::string key = fmt::format("{}#{}", e.id, kept.extraction.clips[c].index);
      if (const std::string* match = find_or_insert(sig, key)) {
        if (first_match.empty()) first_match = *match;
        continue;
      }
      d.extraction.clips.push_back(std::move(kept.extraction.clips[c]));
      d.content_sha256.push_back(kept.content_sha256[c]);
      d.signatures.push_back(sig);
    }
    if (d.extraction.clips.empty()) {
      d.extraction.accepted = false;
      d.extraction.reject_reason = "duplicate";
      d.extraction.detail = fmt::format("every clip near-duplicates an earlier clip ('{}')", first_match);
    }
  }

 private:
  int max_;
  std::vector<std::pair<std::vector<uint64_t>, std::string>> entries_;
};

// Encodes and writes one shard. Samples are numbered in input/clip order; VAE batches are formed per
// clip shape in that order, caption batches in input order, so the result does not depend on timing.
class ShardBuilder {
 public:
  ShardBuilder(ShardWriter& writer, const IngestStages& stages, int batch_size, bool store_logvar, StageTimes& times)
      : writer_(writer), stages_(stages), batch_(batch_size), store_logvar_(store_logvar), times_(times) {}

  void add_input(const ManifestEntry& e, Decoded d) {
    InputOutcome o;
    o.row = e.row;
    o.id = e.id;
    o.path = e.path;
    o.accepted = d.extraction.accepted;
    o.reason = d.extraction.reject_reason;
    o.detail = d.extraction.detail;
    o.clips = int64_t(d.extraction.clips.size());
    outcomes_.push_back(o);
    if (!o.accepted) return;
    const int64_t input = int64_t(inputs_.size());
    inputs_.push_back({e.caption, -1, {}});
    captions_pending_.push_back(input);
    for (size_t c = 0; c < d.extraction.clips.size(); ++c) {
      PixelClip& clip = d.extraction.clips[c];
      Sample s;
      s.input = input;
      s.meta.source = e.path;
      s.meta.input_id = e.id;
      s.meta.input_row = e.row;
      s.meta.clip_index = clip.index;
      s.meta.start_s = clip.start_s;
      s.meta.end_s = clip.end_s;
      s.meta.fps = clip.fps;
      s.meta.frames = clip.frames.size(0);
      s.meta.caption = e.caption;
      s.meta.content_sha256 = d.content_sha256[c];
      s.meta.source_sha256 = d.source_sha256;
      s.meta.pixel_bucket = clip.bucket;
      if (c < d.signatures.size()) s.meta.signature = DuplicateSet::encode(d.signatures[c]);
      const int64_t index = int64_t(samples_.size());
      const std::string shape = bucket_key(clip.frames.size(0), clip.frames.size(1), clip.frames.size(2));
      pixels_[index] = std::move(clip.frames);
      samples_.push_back(std::move(s));
      auto& queue = by_shape_[shape];
      queue.push_back(index);
      if (int64_t(queue.size()) >= batch_) encode_latents(queue);
    }
    if (int64_t(captions_pending_.size()) >= batch_) encode_captions();
  }

  void finish() {
    if (!captions_pending_.empty()) encode_captions();
    for (auto& [shape, queue] : by_shape_)
      if (!queue.empty()) encode_latents(queue);
    const auto t0 = Clock::now();
    writer_.finish(outcomes_);
    times_.write_s += seconds_since(t0);
  }
  int64_t clips_encoded() const { return clips_encoded_; }

 private:
  struct InputText {
    std::string caption;
    int64_t first_written = -1;  // sample holding this input's text datasets
    CaptionBatch text;           // [1, ...] slices once encoded
  };
  struct Sample {
    int64_t input = 0;
    SampleMeta meta;
    torch::Tensor latents, logvar;
    bool written = false;
  };

  void encode_latents(std::vector<int64_t>& queue) {
    std::vector<torch::Tensor> frames;
    for (int64_t i : queue) frames.push_back(pixels_.at(i));
    const auto t0 = Clock::now();
    torch::Tensor video = torch::stack(frames).to(stages_.vae->device());  // [B,T,H,W,3] uint8
    video = video.permute({0, 4, 1, 2, 3}).to(torch::kFloat32).div_(255.0f);
    EncodedLatents out;
    {
      torch::NoGradGuard no_grad;
      out = stages_.vae->encode(video);
    }
    VDF_CHECK(out.mean.defined() && out.mean.dim() == 5 && out.mean.size(0) == int64_t(queue.size()),
              "VAE returned latents of shape {} for a batch of {}", fmt::join(out.mean.sizes(), "x"), queue.size());
    torch::Tensor mean = out.mean.to(torch::kCPU, torch::kFloat32);
    torch::Tensor logvar = store_logvar_ && out.logvar.defined() ? out.logvar.to(torch::kCPU, torch::kFloat32)
                                                                 : torch::Tensor();
    times_.vae_s += seconds_since(t0);
    for (size_t b = 0; b < queue.size(); ++b) {
      Sample& s = samples_[queue[b]];
      s.latents = mean[b].clone();
      if (logvar.defined()) s.logvar = logvar[b].clone();
      pixels_.erase(queue[b]);
      ++clips_encoded_;
    }
    std::vector<int64_t> done = queue;
    queue.clear();
    for (int64_t i : done) try_write(i);
  }

  void encode_captions() {
    std::vector<std::string> captions;
    for (int64_t in : captions_pending_) captions.push_back(inputs_[in].caption);
    const auto t0 = Clock::now();
    CaptionBatch out;
    {
      torch::NoGradGuard no_grad;
      out = stages_.text->encode(captions);
    }
    VDF_CHECK(out.tokens.defined() && out.tokens.dim() == 3 && out.tokens.size(0) == int64_t(captions.size()),
              "text encoder returned tokens of shape {} for {} captions", fmt::join(out.tokens.sizes(), "x"),
              captions.size());
    times_.text_s += seconds_since(t0);
    std::vector<int64_t> done = captions_pending_;
    captions_pending_.clear();
    for (size_t b = 0; b < done.size(); ++b) {
      InputText& it = inputs_[done[b]];
      it.text.tokens = out.tokens[b].to(torch::kCPU).clone();
      it.text.mask = out.mask[b].to(torch::kCPU).clone();
      it.text.pooled = out.pooled[b].to(torch::kCPU).clone();
    }
    for (int64_t i = 0; i < int64_t(samples_.size()); ++i)
      if (!samples_[i].written && samples_[i].latents.defined()) try_write(i);
  }

  void try_write(int64_t index) {
    Sample& s = samples_[index];
    InputText& it = inputs_[s.input];
    if (s.written || !s.latents.defined() || !it.text.tokens.defined()) return;
    const auto t0 = Clock::now();
    ShardSampleData d;
    d.meta = s.meta;
    d.latents = s.latents;
    d.logvar = s.logvar;
    if (it.first_written >= 0) {
      d.share_text_with = it.first_written;
    } else {
      d.text = it.text.tokens;
      d.text_mask = it.text.mask;
      d.pooled = it.text.pooled;
    }
    writer_.add(index, d);
    if (it.first_written < 0) it.first_written = index;
    s.written = true;
    s.latents = torch::Tensor();
    s.logvar = torch::Tensor();
    times_.write_s += seconds_since(t0);
  }

  ShardWriter& writer_;
  const IngestStages& stages_;
  int64_t batch_;
  bool store_logvar_;
  StageTimes& times_;
  std::vector<InputOutcome> outcomes_;
  std::vector<InputText> inputs_;
  std::vector<Sample> samples_;
  std::map<int64_t, torch::Tensor> pixels_;
  std::map<std::string, std::vector<int64_t>> by_shape_;
  std::vector<int64_t> captions_pending_;
  int64_t clips_encoded_ = 0;
};

void remove_stale_temps(const fs::path& dir, const std::string& prefix) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find(".h5.tmp-") != std::string::npos) {
      std::error_code ec;
      fs::remove(e.path(), ec);
      VDF_INFO("ingest: removed incomplete shard '{}' from an interrupted run", name);
    }
  }
}

}  // namespace

std::pair<int, int> resolve_rank(const config::IngestConfig& c) {
  int world = c.world_size >= 1 ? c.world_size : env_int("WORLD_SIZE", env_int("SLURM_NTASKS", 1));
  int rank = c.rank >= 0 ? c.rank : env_int("RANK", env_int("SLURM_PROCID", 0));
  VDF_CHECK(world >= 1 && rank >= 0 && rank < world, "ingest: rank {} / world size {} is invalid", rank, world);
  return {rank, world};
}

nlohmann::json IngestReport::to_json() const {
  nlohmann::json rej = nlohmann::json::array();
  for (const auto& r : rejects) rej.push_back(data::to_json(r));
  const double clips_per_s = times.wall_s > 0 ? double(clips_encoded) / times.wall_s : 0.0;
  return {{"inputs", inputs},
          {"accepted", accepted},
          {"rejected", rejected},
          {"rejected_by_reason", rejected_by_reason},
          {"clips", clips},
          {"latents_written_bytes", latent_bytes},
          {"shards", shards},
          {"shards_skipped_complete", shards_skipped},
          {"shards_written", shards_written},
          {"rank", rank},
          {"world_size", world_size},
          {"this_run",
           {{"inputs_processed", inputs_processed},
            {"clips_encoded", clips_encoded},
            {"clips_per_second", clips_per_s},
            {"seconds",
             {{"wall", times.wall_s},
              {"decode_summed_over_threads", times.decode_s},
              {"vae", times.vae_s},
              {"text_encoder", times.text_s},
              {"write", times.write_s},
              {"encoder_waiting_for_decode", times.wait_decode_s}}}}},
          {"rejects", rej}};
}

std::string IngestReport::summary() const {
  std::string reasons;
  for (const auto& [k, v] : rejected_by_reason) reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", v, k);
  std::string s = fmt::format("ingest: {} inputs: {} accepted, {} rejected{}\n", inputs, accepted, rejected,
                              reasons.empty() ? "" : " (" + reasons + ")");
  s += fmt::format("ingest: {} clips in {} shards ({} reused from an earlier run), {:.1f} MiB of latents\n", clips,
                   shards, shards_skipped, latent_bytes / 1048576.0);
  s += fmt::format(
      "ingest: this run {} clips in {:.1f} s ({:.2f} clips/s); decode {:.1f} s (summed over threads), VAE {:.1f} s, "
      "text {:.1f} s, write {:.1f} s, waiting for decode {:.1f} s\n",
      clips_encoded, times.wall_s, times.wall_s > 0 ? clips_encoded / times.wall_s : 0.0, times.decode_s, times.vae_s,
      times.text_s, times.write_s, times.wait_decode_s);
  return s;
}

IngestReport run_ingest(const config::IngestConfig& cfg, const std::string& config_yaml, const IngestStages& stages,
                        const std::string& vdf_version) {
  VDF_CHECK(stages.clips && stages.vae && stages.text, "ingest: a stage is missing");
  const auto t_start = Clock::now();
  const auto [rank, world] = resolve_rank(cfg);
  VDF_CHECK(!cfg.manifest.empty(), "ingest: no manifest given (set ingest.manifest)");
  const Manifest manifest = read_manifest(cfg.manifest, config::enum_name(cfg.manifest_format), cfg.split);
  const std::vector<ManifestEntry> inputs = rank_slice(manifest.entries, rank, world);

  const fs::path out = cfg.output;
  fs::create_directories(out);
  const std::string prefix = fmt::format("shard-r{}of{}-", rank, world);
  remove_stale_temps(out, prefix);

  ShardHeader header;
  header.vae = stages.vae->identity();
  header.text = stages.text->identity();
  header.latent_dtype = config::enum_name(cfg.latent_dtype);
  header.config_yaml = config_yaml;
  header.config_sha256 = sha256_hex(config_yaml);
  header.rank = rank;
  header.world_size = world;
  header.vdf_version = vdf_version;

  const int64_t per = cfg.inputs_per_shard;
  const int64_t num_shards = (int64_t(inputs.size()) + per - 1) / per;
  IngestReport report;
  report.rank = rank;
  report.world_size = world;
  report.shards = num_shards;

  // Which shards are already complete (and made the same way)?
  std::vector<int64_t> todo;
  std::vector<bool> is_done(size_t(num_shards), false);
  DuplicateSet duplicates(stages.duplicate_max_distance);
  if (duplicates.enabled()) VDF_CHECK(bool(stages.signature), "ingest: duplicate filtering needs a signature function");
  int64_t inputs_done = 0;
  for (int64_t k = 0; k < num_shards; ++k) {
    const fs::path p = out / shard_file_name(rank, world, k);
    const int64_t n_inputs = std::min<int64_t>(per, int64_t(inputs.size()) - k * per);
    if (!fs::exists(p)) {
      todo.push_back(k);
      continue;
    }
    ShardInfo info = read_shard_info(p);
    check_compatible(info.header, &header.vae, &header.text, "shard '" + p.string() + "' from an earlier run");
    VDF_CHECK(info.header.config_sha256 == header.config_sha256,
              "shard '{}' was made by an earlier run with a different ingest config; use another output folder or "
              "remove the old shards (resume only continues the same command)",
              p.string());
    VDF_CHECK(int64_t(info.inputs.size()) == n_inputs && (n_inputs == 0 || info.inputs.front().row == inputs[k * per].row),
              "shard '{}' holds inputs that do not match the manifest (was the manifest edited?); use another output "
              "folder",
              p.string());
    ++report.shards_skipped;
    inputs_done += n_inputs;
    is_done[k] = true;
  }
  if (report.shards_skipped > 0)
    VDF_INFO("ingest: resuming: {} of {} shards are complete, {} to do", report.shards_skipped, num_shards, todo.size());

  std::vector<Task> tasks;
  for (size_t t = 0; t < todo.size(); ++t)
    for (int64_t j = todo[t] * per; j < std::min<int64_t>((todo[t] + 1) * per, int64_t(inputs.size())); ++j)
      tasks.push_back({int64_t(t), &inputs[j]});

  int threads = cfg.threads > 0 ? cfg.threads : std::max(1, int(std::thread::hardware_concurrency()) - 1);
  const int depth = cfg.queue_inputs > 0 ? cfg.queue_inputs : 2 * threads;
  const int gzip = cfg.compression == config::Compression::gzip ? cfg.compression_level : 0;

  std::optional<ProgressBar> bar;
  if (cfg.progress) {
    bar.emplace("ingest", int64_t(inputs.size()), "inputs");
    bar->advance(inputs_done);
  }
  StageTimes& times = report.times;
  {
    DecodePool pool(tasks, stages, threads, depth, cfg.hash_sources);
    size_t next = 0;
    for (int64_t k = 0, t = 0; k < num_shards; ++k) {
      if (is_done[k]) {
        // Complete shard: only its clip signatures matter, so later shards see the same duplicates.
        if (duplicates.enabled()) {
          ShardInfo info = read_shard_info(out / shard_file_name(rank, world, k));
          for (const auto& s : info.samples)
            duplicates.find_or_insert(DuplicateSet::decode(s.signature), s.input_id + "#" + std::to_string(s.clip_index));
        }
        continue;
      }
      ShardHeader h = header;
      h.shard_index = k;
      ShardWriter writer(out / shard_file_name(rank, world, k), h, gzip);
      ShardBuilder builder(writer, stages, cfg.batch_size, cfg.store_logvar, times);
      while (next < tasks.size() && tasks[next].shard == int64_t(t)) {
        const auto t0 = Clock::now();
        Decoded d = pool.take(next);
        times.wait_decode_s += seconds_since(t0);
        duplicates.filter(*tasks[next].entry, d);
        builder.add_input(*tasks[next].entry, std::move(d));
        ++report.inputs_processed;
        if (bar) bar->advance(1);
        ++next;
      }
      builder.finish();
      report.clips_encoded += builder.clips_encoded();
      ++report.shards_written;
      ++t;
      const auto t0 = Clock::now();
      write_index(out);
      times.write_s += seconds_since(t0);
    }
    times.decode_s = pool.decode_seconds();
  }
  if (bar) bar->finish();
  if (todo.empty()) write_index(out);

  // The report is rebuilt from the complete shards, so it covers inputs finished by earlier runs too.
  for (int64_t k = 0; k < num_shards; ++k) {
    ShardInfo info = read_shard_info(out / shard_file_name(rank, world, k));
    for (const auto& o : info.inputs) {
      ++report.inputs;
      if (o.accepted) {
        ++report.accepted;
      } else {
        ++report.rejected;
        ++report.rejected_by_reason[o.reason];
        report.rejects.push_back(o);
      }
    }
    report.clips += int64_t(info.samples.size());
    for (const auto& s : info.samples) {
      int64_t n = 2;  // stored 16-bit
      for (int64_t d : s.latent_shape) n *= d;
      report.latent_bytes += n;
    }
  }
  VDF_CHECK(report.inputs == int64_t(inputs.size()) && report.accepted + report.rejected == report.inputs,
            "ingest: internal error: report counts {} inputs ({} accepted + {} rejected), the manifest slice has {}",
            report.inputs, report.accepted, report.rejected, inputs.size());
  times.wall_s = seconds_since(t_start);
  const std::string report_name =
      world == 1 ? std::string(kReportFileName) : fmt::format("report-r{}of{}.json", rank, world);
  write_file_atomic(out / report_name, report.to_json().dump(2) + "\n");
  return report;
}

}  // namespace vdf::data
