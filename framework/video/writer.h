// MP4 writing: H.264 (libx264, yuv420p, BT.709 limited range, tagged as such) with exact timestamps for
// the given frame rate; MPEG-4 Part 2 when this FFmpeg has no libx264. Atomic: the file is written under
// a temporary name in the same folder and renamed on close(); an unfinished writer leaves nothing.
// Odd sizes: yuv420p needs even dimensions, so an odd width/height is padded by one column/row that
// repeats the edge pixels (the file is then (W+1)x(H+1); documented in docs/video.md).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

namespace vdf::video {

struct Mp4WriterOptions {
  int crf = 18;                    // x264 constant rate factor (0 = lossless .. 51); mapped to a qscale for MPEG-4
  std::string preset = "medium";   // x264 preset
  std::string codec = "auto";      // auto (libx264, else mpeg4) | libx264 | mpeg4
  int threads = 0;                 // encoder threads (0 = automatic)
};

class Mp4Writer {
 public:
  Mp4Writer();
  ~Mp4Writer();  // an open writer that was not closed removes its temporary file
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  void open(const std::string& path, int width, int height, double fps, int crf = 18);
  void open(const std::string& path, int width, int height, double fps, const Mp4WriterOptions& options);
  // One uint8 [H, W, 3] RGB frame of the size given to open().
  void write(const torch::Tensor& frame_hwc_u8);
  // Flushes the encoder, finishes the file, renames it into place.
  void close();
  bool is_open() const;
  std::string codec_name() const;  // "libx264" or "mpeg4"
  int64_t frames_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes uint8 [T, H, W, 3] frames as an MP4 at `fps`.
void write_mp4(const std::string& path, const torch::Tensor& frames_thwc_u8, double fps, int crf = 18);

// True when this FFmpeg has the libx264 encoder.
bool has_libx264();

}  // namespace vdf::video
