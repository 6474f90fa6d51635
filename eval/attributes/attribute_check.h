// Attribute check for the synthetic shapes dataset: from the pixels of a clip, measure the dominant
// colour, the shape and the direction of motion, and compare them with the prompt. This is what
// makes the quickstart's samples checkable automatically (see docs/quickstart.md).
//
// Method (all on uint8 [T,H,W,3] frames):
//  * background = per-channel median of the frame borders over all frames;
//  * foreground = pixels farther than a threshold from the background colour (RGB distance);
//  * colour = palette entry nearest to the mean foreground colour;
//  * shape = how much of its bounding box the foreground fills (square 1.0, circle pi/4, triangle 1/2),
//    median over frames;
//  * direction = sign of the dominant axis of the least-squares slope of the foreground centroid.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/synthetic/shapes.h"

namespace vdf::eval {

struct MeasuredAttributes {
  data::synthetic::Attributes attributes;  // empty strings when nothing was found
  double fill_ratio = 0;                   // median foreground area / bounding-box area
  double velocity_x = 0, velocity_y = 0;   // centroid slope, pixels per frame
  double foreground_fraction = 0;          // mean fraction of foreground pixels per frame
  std::array<double, 3> mean_rgb{0, 0, 0};
};

MeasuredAttributes measure_attributes(const torch::Tensor& frames_thwc_u8);

struct AttributeResult {
  std::string prompt;
  data::synthetic::Attributes expected;
  MeasuredAttributes measured;
  bool color_ok = false, shape_ok = false, direction_ok = false;
  bool joint_ok() const { return color_ok && shape_ok && direction_ok; }
};

struct AttributeSummary {
  int count = 0;
  double color_accuracy = 0, shape_accuracy = 0, direction_accuracy = 0, joint_accuracy = 0;
};

AttributeResult check_attributes(const torch::Tensor& frames_thwc_u8, const std::string& prompt);
AttributeSummary summarize(const std::vector<AttributeResult>& results);

}  // namespace vdf::eval
