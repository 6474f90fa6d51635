// Benchmark of `vdf ingest` on this machine: every shared video + the golden PNG images through the real
// stages (FFmpeg clip extraction, TAEF2, tiny CLIP text encoder), printing clips/s and time per stage,
// with the decode stage compared against the ffmpeg CLI doing the same decode+resample+resize in the same
// run; then the stored latents re-written without and with compression (bytes and write time), which is
// how the default `ingest.compression: none` was chosen.
//   vdf_bench_ingest [--frames 8] [--size 128] [--threads 1]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "data/filters/frame_stats.h"
#include "data/h5/ingest_pipeline.h"
#include "data/h5/model_stages.h"
#include "data/h5/shard_reader.h"
#include "data/h5/shard_writer.h"
#include "app/config.h"
#include "framework/core/atomic_file.h"
#include <unistd.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
// ../shared beside the repository: $VDF_SHARED_DIR, or ../shared from the working directory (benchmarks
// are run from the repository root).
fs::path shared_dir() {
  if (const char* env = std::getenv("VDF_SHARED_DIR")) return env;
  return fs::absolute("../shared");
}
}  // namespace

int main(int argc, char** argv) {
  int frames = 8, size = 128, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--frames") frames = std::atoi(argv[i + 1]);
    else if (k == "--size") size = std::atoi(argv[i + 1]);
    else if (k == "--threads") threads = std::atoi(argv[i + 1]);
  }
  using namespace vdf;
  const fs::path shared = shared_dir();
  if (!fs::exists(shared / "assets/videos") || !fs::exists(shared / "assets/vae/taef2_encoder.pth")) {
    std::cerr << "vdf_bench_ingest: " << shared << "/assets not found (run from the repository root or set VDF_SHARED_DIR)\n";
    return 1;
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("vdf-bench-ingest-{}", ::getpid());
  fs::create_directories(dir);
  std::string csv = "path,caption\n";
  std::vector<fs::path> videos;
  for (const auto& e : fs::directory_iterator(shared / "assets/videos"))
    if (e.path().extension() != ".pt") videos.push_back(e.path());
  std::sort(videos.begin(), videos.end());
  int n = 0;
  for (const auto& v : videos) csv += fmt::format("{},a test video number {}\n", v.string(), n++);
  if (fs::exists(shared / "golden/clip/images"))
    for (const auto& e : fs::directory_iterator(shared / "golden/clip/images"))
      csv += fmt::format("{},a still image number {}\n", e.path().string(), n++);
  write_file_atomic(dir / "manifest.csv", csv);

  config::VdfConfig cfg = config::parse_config(fmt::format(
      "ingest: {{manifest: '{}', output: '{}', inputs_per_shard: 8, batch_size: 4, threads: {}, progress: false}}\n"
      "video: {{fps: 8, width: {}, height: {}, clip_frames: {}, clip_stride: {}, max_clips_per_video: 4}}\n"
      "vae: {{kind: taef2, device: cpu}}\ntext_encoder: {{size: tiny, device: cpu}}\n",
      (dir / "manifest.csv").string(), (dir / "out").string(), threads, size, size, frames, frames));
  auto vae = vae::make_vae(cfg.vae);
  auto text = text::make_text_encoder(cfg.text_encoder);
  data::VideoClipSource clips(cfg.video);
  data::VaeLatentEncoder lat(*vae, false);
  data::TextCaptionEncoder cap(*text);
  data::IngestStages stages{&clips, &lat, &cap};
  stages.signature = [](const torch::Tensor& f) { return data::clip_signature(f); };
  stages.duplicate_max_distance = cfg.video.duplicate_hamming;
  data::IngestReport r = data::run_ingest(cfg.ingest, "bench\n", stages, "bench");
  std::cout << r.summary();
  const auto& t = r.times;
  fmt::print("ingest: {} inputs, {} clips of {} frames at {}x{}, {} decode thread(s), torch threads {}\n", r.inputs,
             r.clips, frames, size, size, threads, torch::get_num_threads());
  fmt::print("ingest: {:.3f} clips/s; per clip: decode {:.3f} s, VAE {:.3f} s, text {:.4f} s, write {:.4f} s\n",
             r.clips_encoded / t.wall_s, t.decode_s / r.clips_encoded, t.vae_s / r.clips_encoded,
             t.text_s / r.clips_encoded, t.write_s / r.clips_encoded);

  // Reference: the ffmpeg CLI decoding the same videos with the same fps/resize/crop, one at a time.
  const auto f0 = Clock::now();
  for (const auto& v : videos)
    std::system(fmt::format("ffmpeg -nostdin -v quiet -i '{}' -vf fps=8,scale={}:{}:force_original_aspect_ratio="
                            "increase,crop={}:{} -f null - >/dev/null 2>&1",
                            v.string(), size, size, size, size)
                    .c_str());
  const double ffmpeg_s = std::chrono::duration<double>(Clock::now() - f0).count();
  fmt::print("decode: vdf {:.2f} s (summed over threads, incl. filters and hashing) vs ffmpeg CLI {:.2f} s "
             "(decode+fps+scale+crop only): ratio {:.2f}\n",
             t.decode_s, ffmpeg_s, t.decode_s / ffmpeg_s);

  // Compression: the same latents re-written with none / gzip levels.
  data::ShardDataset ds(dir / "out");
  std::vector<data::ShardRecord> recs;
  for (int64_t i = 0; i < ds.size(); ++i) recs.push_back(ds.get(i));
  for (int level : {0, 1, 4, 9}) {
    const auto w0 = Clock::now();
    fs::path p = dir / fmt::format("c{}.h5", level);
    {
      data::ShardWriter w(p, ds.header(), level);
      for (size_t i = 0; i < recs.size(); ++i) {
        data::ShardSampleData s;
        s.meta = recs[i].meta;
        s.latents = recs[i].latents;
        s.text = recs[i].text;
        s.text_mask = recs[i].text_mask;
        s.pooled = recs[i].pooled;
        w.add(int64_t(i), s);
      }
      w.finish({});
    }
    const double ws = std::chrono::duration<double>(Clock::now() - w0).count();
    const auto r0 = Clock::now();
    data::ShardFile f(p);
    for (int64_t i = 0; i < f.size(); ++i) f.read(i);
    const double rs = std::chrono::duration<double>(Clock::now() - r0).count();
    fmt::print("compression {}: {:.2f} MiB, write {:.3f} s, read all {:.3f} s\n",
               level == 0 ? "none  " : fmt::format("gzip-{}", level), fs::file_size(p) / 1048576.0, ws, rs);
  }
  fs::remove_all(dir);
  return 0;
}
