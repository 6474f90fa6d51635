#include "framework/video/ffmpeg_common.h"

#include <cmath>
#include <mutex>

namespace vdf::video {

void AvFormatOutputDeleter::operator()(AVFormatContext* c) const {
  if (!c) return;
  if (c->oformat && !(c->oformat->flags & AVFMT_NOFILE) && c->pb) avio_closep(&c->pb);
  avformat_free_context(c);
}

UniqueAVFrame make_frame() {
  UniqueAVFrame f(av_frame_alloc());
  if (!f) fail("av_frame_alloc: out of memory");
  return f;
}

UniqueAVPacket make_packet() {
  UniqueAVPacket p(av_packet_alloc());
  if (!p) fail("av_packet_alloc: out of memory");
  return p;
}

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(code, buf, sizeof(buf)) < 0) return "FFmpeg error " + std::to_string(code);
  return buf;
}

int av_check(int code, const char* operation, const std::string& path) {
  if (code < 0) fail("{} '{}': {}", operation, path, av_error_text(code));
  return code;
}

void quiet_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

UniqueAVFormatInput open_input(const std::string& path) {
  quiet_ffmpeg_logs();
  AVFormatContext* raw = nullptr;
  av_check(avformat_open_input(&raw, path.c_str(), nullptr, nullptr), "opening", path);
  UniqueAVFormatInput ctx(raw);
  av_check(avformat_find_stream_info(ctx.get(), nullptr), "reading stream info of", path);
  return ctx;
}

int stream_rotation(const AVStream* stream) {
  const int32_t* matrix = nullptr;
#ifdef VDF_AV_CODECPAR_SIDE_DATA
  const AVPacketSideData* sd = av_packet_side_data_get(stream->codecpar->coded_side_data,
                                                       stream->codecpar->nb_coded_side_data,
                                                       AV_PKT_DATA_DISPLAYMATRIX);
  if (sd && sd->size >= 9 * 4) matrix = reinterpret_cast<const int32_t*>(sd->data);
#else
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (data && size >= 9 * 4) matrix = reinterpret_cast<const int32_t*>(data);
#endif
  if (!matrix) return 0;
  const double ccw = av_display_rotation_get(matrix);  // counter-clockwise degrees
  if (std::isnan(ccw)) return 0;
  // Same normalization as ffmpeg's get_rotation(): clockwise = -ccw, into [0, 360).
  double theta = -std::round(ccw);
  theta -= 360 * std::floor(theta / 360 + 0.9 / 360);
  const int q = static_cast<int>(std::lround(theta / 90.0)) % 4;
  return q * 90;
}

}  // namespace vdf::video
