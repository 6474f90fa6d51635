// RAII handles and error helpers for the FFmpeg C API (libavformat/libavcodec/libswscale/libavutil).
// One unique_ptr alias per handle type; every av_* return code goes through av_check(), whose message
// names the operation, the file and FFmpeg's own text. FFmpeg version differences live here only.
#pragma once
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

#include "framework/core/error.h"

// FFmpeg >= 6.0 (libavutil 57.30) has AVFrame::duration; older ones only pkt_duration.
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
#define VDF_AV_FRAME_DURATION(f) ((f)->duration)
#else
#define VDF_AV_FRAME_DURATION(f) ((f)->pkt_duration)
#endif
// FFmpeg >= 6.1 reports the display matrix on AVCodecParameters; before, on the stream's side data.
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
#define VDF_AV_CODECPAR_SIDE_DATA 1
#endif

namespace vdf::video {

struct AvFormatInputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct AvFormatOutputDeleter {
  void operator()(AVFormatContext* c) const;  // closes the AVIO handle if open, then frees
};
struct AvCodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct AvFrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct AvPacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsContextDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

using UniqueAVFormatInput = std::unique_ptr<AVFormatContext, AvFormatInputDeleter>;
using UniqueAVFormatOutput = std::unique_ptr<AVFormatContext, AvFormatOutputDeleter>;
using UniqueAVCodecContext = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;
using UniqueAVFrame = std::unique_ptr<AVFrame, AvFrameDeleter>;
using UniqueAVPacket = std::unique_ptr<AVPacket, AvPacketDeleter>;
using UniqueSwsContext = std::unique_ptr<SwsContext, SwsContextDeleter>;

UniqueAVFrame make_frame();
UniqueAVPacket make_packet();

// FFmpeg's text for an error code ("Invalid data found when processing input").
std::string av_error_text(int code);
// Throws vdf::Error "<operation> '<path>': <ffmpeg message>" when code < 0; returns code otherwise.
int av_check(int code, const char* operation, const std::string& path);

// Opens an input and reads stream info. Throws vdf::Error naming the file on failure.
UniqueAVFormatInput open_input(const std::string& path);

// Quiet FFmpeg's own logging (errors are reported through vdf::Error and decode counters instead).
// Idempotent and thread-safe.
void quiet_ffmpeg_logs();

// Display-matrix rotation of a stream in degrees clockwise, normalized to 0, 90, 180 or 270 (the
// rotation a player applies; ffmpeg's autorotate does the same). 0 when there is no matrix.
int stream_rotation(const AVStream* stream);

}  // namespace vdf::video
