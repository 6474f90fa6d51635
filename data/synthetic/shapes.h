// A controllable text-to-video dataset: coloured shapes moving in named directions over a background,
// captioned "a red circle moving left". Rendering is pure tensor code (no FFmpeg) so the attribute
// checker can be tested on exact renders; data/video/synthetic_dataset.h writes them to real MP4 files.
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vdf::data::synthetic {

// The vocabulary. Colours are far apart in RGB so that a decoded, slightly blurred clip still maps
// to the right name; shapes differ in how much of their bounding box they fill (1.0, pi/4, 1/2).
struct NamedColor {
  const char* name;
  std::array<uint8_t, 3> rgb;
};
const std::vector<NamedColor>& colors();          // red, green, blue, yellow, magenta, cyan
const std::vector<std::string>& shapes();         // square, circle, triangle
const std::vector<std::string>& directions();     // left, right, up, down
std::array<uint8_t, 3> background_rgb();          // dark grey

struct Attributes {
  std::string color, shape, direction;
  bool operator==(const Attributes& o) const {
    return color == o.color && shape == o.shape && direction == o.direction;
  }
};
std::string caption_of(const Attributes& a);      // "a red circle moving left"
// Parses a caption produced by caption_of (words may be surrounded by other words); throws vdf::Error
// naming the caption when a colour, shape or direction is missing.
Attributes parse_caption(const std::string& caption);

struct RenderOptions {
  int width = 64, height = 64, frames = 8;
  double size_frac = 0.38;    // shape extent as a fraction of min(width, height)
  double travel_frac = 0.40;  // total displacement over the clip, fraction of the frame size
  double noise = 0.0;         // background noise std in [0,255] units
};
// Renders one clip, uint8 [T,H,W,3]. `start_jitter` in [-1,1]^2 moves the start position a little
// (deterministic per sample) so clips of one caption are not identical.
torch::Tensor render_clip(const Attributes& a, const RenderOptions& opt, double jitter_x = 0, double jitter_y = 0,
                          uint64_t noise_seed = 0);

// Every combination, in a fixed order, and a deterministic held-out split: `held_out` combinations
// chosen so that every colour, shape and direction still appears in training.
std::vector<Attributes> all_combinations(int num_colors = 4);
void split_combinations(const std::vector<Attributes>& all, int held_out, uint64_t seed,
                        std::vector<Attributes>* train, std::vector<Attributes>* test);

}  // namespace vdf::data::synthetic
