// Decoding a video into RGB24 frames: best (or chosen) video stream, several decode threads, display
// rotation applied, the right YCbCr matrix and range (BT.601/709/2020, limited or full, 8/10-bit), FPS
// resampling by timestamps (frame choice identical to `ffmpeg -vf fps=F`), resize with a chosen filter
// then center-crop (or stretch). See docs/video.md.
//
//   VideoDecoder dec(path, {.target_fps = 8, .width = 256, .height = 256});
//   DecodedFrame f;
//   while (dec.next(&f)) use(f.image);           // uint8 [H, W, 3]
//
// Or decode_video(path, opts) for everything at once (uint8 [T, H, W, 3]). One decoder object is used by
// one thread at a time; separate objects are independent (decode many files on many threads).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/video/probe.h"

namespace vdf::video {

struct DecodeOptions {
  int stream = -1;               // -1: best video stream (as the ffmpeg CLI picks it)
  int threads = 0;               // libavcodec threads (0 = automatic)
  double target_fps = 0;         // 0 = native (every decoded frame)
  int width = 0, height = 0;     // output size in display orientation; 0,0 = source display size
  std::string crop = "center";   // center: scale to cover WxH then center-crop | none: stretch to WxH
  std::string filter = "area";   // area | bicubic | bilinear (swscale; antialiased when shrinking)
  bool accurate = true;          // swscale accurate rounding + full chroma interpolation
  int64_t max_frames = -1;       // stop after this many output frames (-1 = all)
};

// One output frame.
struct DecodedFrame {
  torch::Tensor image;          // uint8 [H, W, 3], RGB
  double time_s = 0;            // output timestamp: slot / fps (resampled) or source pts (native), from 0
  int64_t index = 0;            // output frame number
  int64_t source_index = 0;     // which decoded frame (0-based, presentation order) it shows
  int64_t source_pts = 0;       // that frame's timestamp in the stream time base (after start offset)
};

struct DecodedVideo {
  torch::Tensor frames;                 // uint8 [T, H, W, 3]
  std::vector<double> timestamps;       // seconds, one per frame
  std::vector<int64_t> source_indices;  // decoded frame shown by each output frame
  double fps = 0;                       // output rate (target, or the source's average rate when native)
  int decode_errors = 0;                // packets the decoder rejected + frames flagged corrupt + read errors
  int64_t packets = 0;                  // packets of the chosen stream sent to the decoder
  int64_t frames_decoded = 0;           // pictures the decoder produced
  VideoInfo info;
};

class VideoDecoder {
 public:
  VideoDecoder();
  VideoDecoder(const std::string& path, const DecodeOptions& options);
  ~VideoDecoder();
  VideoDecoder(VideoDecoder&&) noexcept;
  VideoDecoder& operator=(VideoDecoder&&) noexcept;

  // Opens `path` (throws VideoError: unreadable / no_video_stream, or vdf::Error for a bad option).
  void open(const std::string& path, const DecodeOptions& options);
  bool is_open() const;
  // The next output frame; false at the end of the stream.
  bool next(DecodedFrame* frame);

  const VideoInfo& info() const;
  int out_width() const;   // display orientation
  int out_height() const;
  double out_fps() const;  // target fps, or the source's (average) rate when native
  int decode_errors() const;
  int64_t packets() const;
  int64_t frames_decoded() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes the whole file (or max_frames) into one tensor.
DecodedVideo decode_video(const std::string& path, const DecodeOptions& options = {});

// The size to scale to before a center crop to (w, h), in display orientation, for a source of display
// size (sw, sh): the smallest size >= (w, h) with the source's aspect ratio, computed as ffmpeg's
// scale=w:h:force_original_aspect_ratio=increase does. Crop offsets are ((sw'-w)/2, (sh'-h)/2), floored.
void cover_size(int src_w, int src_h, int w, int h, int* scaled_w, int* scaled_h);

// Parses a resize filter name; throws vdf::Error naming the value.
int sws_filter_flag(const std::string& name);

}  // namespace vdf::video
