// Inputs of the metrics: folders of images, of clips, or single files, loaded as uint8 tensors.
//   images: .png .jpg .jpeg .bmp .pgm .ppm .tif .tiff .webp (pytorch-fid's extension set) → [H,W,3]
//   clips:  video files (.mp4 .mkv .webm .avi .mov .mpg, decoded with FFmpeg when built with video I/O)
//           and .safetensors files holding a uint8 tensor `frames` [T,H,W,3] (optional metadata "fps").
// Listing is sorted by name, like pytorch-fid's sorted glob.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace vdf::eval {

bool is_image_file(const std::filesystem::path& p);
bool is_clip_file(const std::filesystem::path& p);
// Sorted file names (relative to dir) accepted by `accept`; not recursive.
std::vector<std::string> list_files(const std::filesystem::path& dir, const std::function<bool(const std::filesystem::path&)>& accept);

torch::Tensor load_image(const std::filesystem::path& path);  // [H,W,3] uint8

struct Clip {
  std::string name;
  torch::Tensor frames;  // [T,H,W,3] uint8
  double fps = 0;        // 0 when unknown
};
Clip load_clip(const std::filesystem::path& path);
void save_clip_safetensors(const std::filesystem::path& path, const torch::Tensor& frames, double fps);

}  // namespace vdf::eval
