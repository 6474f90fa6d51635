// Config section `synthetic`: the coloured-shapes text-to-video dataset (data/synthetic/).
#pragma once
#include <cstdint>
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

struct SyntheticConfig {
  std::string out_dir = "data/synthetic_shapes";  // MP4 clips + manifest.jsonl + prompt lists
  int num_colors = 4;          // first N of red, green, blue, yellow, magenta, cyan
  int clips_per_caption = 8;   // training clips per caption (different start jitter / noise)
  int held_out = 8;            // caption combinations never seen in training (the test prompts)
  int width = 64, height = 64, frames = 8;
  double fps = 8.0;
  double noise = 2.0;          // background noise std (uint8 units), so clips are not flat
  int64_t seed = 0;

  template <class V>
  void visit(V& v) {
    v("out_dir", out_dir, "output folder: clips/*.mp4, manifest.jsonl, train_prompts.txt, heldout_prompts.txt");
    v("num_colors", num_colors, "number of colours used (4..6): red, green, blue, yellow, magenta, cyan");
    v("clips_per_caption", clips_per_caption, "training clips rendered per caption");
    v("held_out", held_out, "caption combinations held out of training (evaluation prompts)");
    v("width", width, "frame width in pixels");
    v("height", height, "frame height in pixels");
    v("frames", frames, "frames per clip");
    v("fps", fps, "frames per second of the written MP4s");
    v("noise", noise, "background noise standard deviation (0..255 units)");
    v("seed", seed, "seed of the held-out split, jitter and noise");
  }
  void validate(const Check& c) const {
    c.require(num_colors >= 1 && num_colors <= 6, "num_colors", num_colors, "1..6");
    c.require(clips_per_caption >= 1, "clips_per_caption", clips_per_caption, ">= 1");
    c.require(held_out >= 0, "held_out", held_out, ">= 0");
    c.require(width >= 16 && height >= 16, "width", width, "width and height >= 16");
    c.require(frames >= 2, "frames", frames, ">= 2");
    c.require(fps > 0, "fps", fps, "> 0");
    c.require(noise >= 0, "noise", noise, ">= 0");
  }
};

}  // namespace vdf::config
