#include "framework/video/image.h"

#include "framework/core/error.h"
#include "framework/video/decoder.h"
#include "framework/video/ffmpeg_common.h"

namespace vdf::video {

torch::Tensor read_image(const std::string& path) {
  DecodeOptions o;
  o.max_frames = 1;
  o.threads = 1;
  DecodedVideo v = decode_video(path, o);
  if (v.frames.size(0) < 1)
    throw VideoError(VideoFailure::unreadable, fmt::format("'{}': no picture could be decoded", path));
  return v.frames[0].clone();
}

}  // namespace vdf::video
