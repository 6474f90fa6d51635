// `probe_video`: what a video file holds (streams, the chosen video stream, size after rotation, nominal
// and average FPS, duration, frame count) without decoding pictures. Thread-safe (no shared state).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/error.h"

namespace vdf::video {

// Why a file cannot be used as a video; the names are the rejection reasons of the ingest report.
enum class VideoFailure { unreadable, no_video_stream, decode_errors };
const char* failure_name(VideoFailure f);

// A vdf::Error that also says which kind of failure it is (for accept/reject reports).
class VideoError : public Error {
 public:
  VideoError(VideoFailure kind, const std::string& message) : Error(message), kind_(kind) {}
  VideoFailure kind() const { return kind_; }

 private:
  VideoFailure kind_;
};

struct StreamInfo {
  int index = -1;
  std::string type;          // video | audio | subtitle | data | attachment | unknown
  std::string codec;         // FFmpeg codec name ("h264", "aac", ...)
  int width = 0, height = 0; // coded size (video)
  std::string pix_fmt;       // video pixel format ("yuv420p10le")
  double nominal_fps = 0;    // r_frame_rate (video)
  double avg_fps = 0;        // avg_frame_rate (video)
  double duration_s = 0;     // 0 when unknown
  int64_t frame_count = 0;   // nb_frames from the container; 0 when unknown
  int rotation = 0;          // display rotation, degrees clockwise (video)
  bool is_default = false;   // disposition default
  bool attached_pic = false; // cover art, never chosen
};

struct VideoInfo {
  std::string path;
  std::string format;               // container ("mov,mp4,m4a,3gp,3g2,mj2")
  std::vector<StreamInfo> streams;
  int chosen_stream = -1;           // index into the container's streams
  int width = 0, height = 0;        // display size: after rotation
  int coded_width = 0, coded_height = 0;
  int rotation = 0;                 // degrees clockwise applied to decoded pictures: 0, 90, 180, 270
  double nominal_fps = 0;           // r_frame_rate of the chosen stream
  double avg_fps = 0;               // avg_frame_rate (frames / duration; differs for VFR input)
  double duration_s = 0;            // of the chosen stream (container duration when the stream has none)
  double start_time_s = 0;          // first timestamp of the chosen stream
  int64_t frame_count = 0;          // frames of the chosen stream (see frame_count_source)
  std::string frame_count_source;   // "container" (nb_frames) | "packets" (counted) | "estimate" (duration*fps)
  std::string codec;
  std::string pix_fmt;
  int bit_depth = 8;
  std::string color_range;          // tv | pc | unknown
  std::string color_space;          // bt709 | smpte170m | bt2020nc | unknown ...
  int time_base_num = 0, time_base_den = 1;
};

// Probes `path`. stream = -1 picks the best video stream the way the ffmpeg CLI does (largest picture,
// default disposition preferred, cover art skipped); otherwise it must be a video stream index.
// count_frames = true demuxes the stream (no decoding) to count packets when the container has no count.
// Throws VideoError(unreadable) for files FFmpeg cannot open (not a video, empty, garbage) and
// VideoError(no_video_stream) when there is no usable video stream (or `stream` is not one).
VideoInfo probe_video(const std::string& path, int stream = -1, bool count_frames = false);

nlohmann::json to_json(const StreamInfo& s);
nlohmann::json to_json(const VideoInfo& info);
// Human-readable multi-line description (vdf probe without --json).
std::string describe(const VideoInfo& info);

}  // namespace vdf::video
