#include "eval/metrics/media.h"

#include <algorithm>
#include <cctype>

#include "framework/tensor_io/safetensors.h"
#include "framework/core/error.h"

#if __has_include("framework/video/image.h") && defined(VDF_WITH_VIDEO)
#include "framework/video/image.h"
#define VDF_EVAL_HAVE_IMAGE_IO 1
#endif
#if __has_include("framework/video/decoder.h") && defined(VDF_WITH_VIDEO)
#include "framework/video/decoder.h"
#define VDF_EVAL_HAVE_DECODER 1
#endif

namespace vdf::eval {

namespace fs = std::filesystem;

namespace {
std::string ext_of(const fs::path& p) { return p.extension().string(); }
}  // namespace

bool is_image_file(const fs::path& p) {
  // pytorch-fid: lower-case extensions only.
  static const std::vector<std::string> exts = {".bmp", ".jpg", ".jpeg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"};
  return std::find(exts.begin(), exts.end(), ext_of(p)) != exts.end();
}

bool is_clip_file(const fs::path& p) {
  std::string e = ext_of(p);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::vector<std::string> exts = {".mp4", ".mkv", ".webm", ".avi", ".mov", ".mpg", ".mpeg", ".safetensors"};
  return std::find(exts.begin(), exts.end(), e) != exts.end();
}

std::vector<std::string> list_files(const fs::path& dir, const std::function<bool(const fs::path&)>& accept) {
  VDF_CHECK(fs::is_directory(dir), "'{}' is not a folder", dir.string());
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && accept(e.path())) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

torch::Tensor load_image(const fs::path& path) {
#ifdef VDF_EVAL_HAVE_IMAGE_IO
  return with_context("reading image '" + path.string() + "'", [&] { return vdf::video::read_image(path.string()); });
#else
  fail("reading image '{}': this build has no image decoding (needs FFmpeg video I/O)", path.string());
#endif
}

Clip load_clip(const fs::path& path) {
  Clip c;
  c.name = path.filename().string();
  if (ext_of(path) == ".safetensors") {
    tensor_io::Metadata md;
    auto t = tensor_io::load_safetensors(path, &md);
    VDF_CHECK(t.count("frames"), "clip file '{}' has no tensor 'frames'", path.string());
    c.frames = t.at("frames");
    VDF_CHECK(c.frames.dim() == 4 && c.frames.size(3) == 3 && c.frames.scalar_type() == torch::kUInt8,
              "clip file '{}': 'frames' must be uint8 [T,H,W,3]", path.string());
    if (md.count("fps")) c.fps = std::stod(md.at("fps"));
    return c;
  }
#ifdef VDF_EVAL_HAVE_DECODER
  auto v = with_context("decoding '" + path.string() + "'", [&] { return vdf::video::decode_video(path.string(), {}); });
  c.frames = v.frames;
  c.fps = v.fps;
  return c;
#else
  fail("decoding '{}': this build has no video decoder (needs FFmpeg video I/O)", path.string());
#endif
}

void save_clip_safetensors(const fs::path& path, const torch::Tensor& frames, double fps) {
  tensor_io::save_safetensors(path, {{"frames", frames.contiguous()}}, {{"fps", std::to_string(fps)}});
}

}  // namespace vdf::eval
