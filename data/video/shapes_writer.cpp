#include "data/video/shapes_writer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>

#include "data/synthetic/shapes.h"
#include "framework/core/atomic_file.h"
#include "framework/core/hash.h"
#include "framework/core/log.h"
#include "framework/core/progress.h"
#include "framework/video/writer.h"

namespace vdf::data::synthetic {
namespace fs = std::filesystem;

WrittenDataset write_synthetic_dataset(const config::SyntheticConfig& cfg) {
  fs::create_directories(fs::path(cfg.out_dir) / "clips");
  std::vector<Attributes> train, test;
  split_combinations(all_combinations(cfg.num_colors), cfg.held_out, static_cast<uint64_t>(cfg.seed), &train, &test);

  RenderOptions opt;
  opt.width = cfg.width;
  opt.height = cfg.height;
  opt.frames = cfg.frames;
  opt.noise = cfg.noise;

  WrittenDataset out;
  out.manifest = (fs::path(cfg.out_dir) / "manifest.jsonl").string();
  out.train_prompts = (fs::path(cfg.out_dir) / "train_prompts.txt").string();
  out.heldout_prompts = (fs::path(cfg.out_dir) / "heldout_prompts.txt").string();

  std::mt19937_64 rng(static_cast<uint64_t>(cfg.seed) * 7919 + 17);
  std::uniform_real_distribution<double> jitter(-1.0, 1.0);
  std::string manifest, train_list, test_list;
  ProgressBar bar("synthetic", static_cast<int64_t>(train.size()) * cfg.clips_per_caption, "clips");
  for (const auto& a : train) {
    train_list += caption_of(a) + "\n";
    for (int k = 0; k < cfg.clips_per_caption; ++k) {
      // Draw jitter for every clip even when it exists, so the stream does not depend on resume.
      double jx = jitter(rng), jy = jitter(rng);
      std::string id = fmt::format("{}_{}_{}_{:03d}", a.color, a.shape, a.direction, k);
      std::string rel = "clips/" + id + ".mp4";
      fs::path path = fs::path(cfg.out_dir) / rel;
      if (!fs::exists(path)) {
        auto frames = render_clip(a, opt, jx, jy, fnv1a64(id) ^ static_cast<uint64_t>(cfg.seed));
        video::write_mp4(path.string(), frames, cfg.fps);
      }
      nlohmann::json row = {{"path", rel}, {"caption", caption_of(a)}, {"id", id}, {"split", "train"}};
      manifest += row.dump() + "\n";
      ++out.clips;
      bar.advance();
    }
  }
  bar.finish();
  for (const auto& a : test) {
    test_list += caption_of(a) + "\n";
    out.heldout.push_back(caption_of(a));
  }
  write_file_atomic(out.manifest, manifest);
  write_file_atomic(out.train_prompts, train_list);
  write_file_atomic(out.heldout_prompts, test_list);
  VDF_INFO("synthetic dataset: {} clips of {} training captions, {} held-out captions in '{}'", out.clips,
           train.size(), test.size(), cfg.out_dir);
  return out;
}

}  // namespace vdf::data::synthetic
