#include "framework/video/probe.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "framework/video/probe_internal.h"

namespace vdf::video {

const char* failure_name(VideoFailure f) {
  switch (f) {
    case VideoFailure::unreadable: return "unreadable";
    case VideoFailure::no_video_stream: return "no_video_stream";
    case VideoFailure::decode_errors: return "decode_errors";
  }
  return "unknown";
}

namespace {

double q2d_or0(AVRational r) { return (r.num > 0 && r.den > 0) ? av_q2d(r) : 0.0; }

const char* media_type(AVMediaType t) {
  switch (t) {
    case AVMEDIA_TYPE_VIDEO: return "video";
    case AVMEDIA_TYPE_AUDIO: return "audio";
    case AVMEDIA_TYPE_SUBTITLE: return "subtitle";
    case AVMEDIA_TYPE_DATA: return "data";
    case AVMEDIA_TYPE_ATTACHMENT: return "attachment";
    default: return "unknown";
  }
}

bool usable_video(const AVStream* st) {
  return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
         !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) && st->codecpar->codec_id != AV_CODEC_ID_NONE;
}

StreamInfo stream_info(const AVStream* st) {
  StreamInfo s;
  const AVCodecParameters* p = st->codecpar;
  s.index = st->index;
  s.type = media_type(p->codec_type);
  s.codec = avcodec_get_name(p->codec_id);
  s.is_default = st->disposition & AV_DISPOSITION_DEFAULT;
  s.attached_pic = st->disposition & AV_DISPOSITION_ATTACHED_PIC;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) s.duration_s = st->duration * av_q2d(st->time_base);
  s.frame_count = st->nb_frames > 0 ? st->nb_frames : 0;
  if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
    s.width = p->width;
    s.height = p->height;
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(p->format));
    s.pix_fmt = name ? name : "unknown";
    s.nominal_fps = q2d_or0(st->r_frame_rate);
    s.avg_fps = q2d_or0(st->avg_frame_rate);
    s.rotation = stream_rotation(st);
  }
  return s;
}

}  // namespace

namespace detail {

UniqueAVFormatInput open_or_reject(const std::string& path) {
  quiet_ffmpeg_logs();
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw VideoError(VideoFailure::unreadable, fmt::format("opening '{}': {}", path, av_error_text(rc)));
  UniqueAVFormatInput ctx(raw);
  rc = avformat_find_stream_info(ctx.get(), nullptr);
  if (rc < 0)
    throw VideoError(VideoFailure::unreadable,
                     fmt::format("reading stream info of '{}': {}", path, av_error_text(rc)));
  return ctx;
}

int choose_video_stream(const AVFormatContext* ctx, int requested, const std::string& path) {
  if (requested >= 0) {
    if (requested >= static_cast<int>(ctx->nb_streams))
      throw VideoError(VideoFailure::no_video_stream,
                       fmt::format("'{}' has {} streams; stream {} does not exist", path, ctx->nb_streams,
                                   requested));
    if (!usable_video(ctx->streams[requested]))
      throw VideoError(VideoFailure::no_video_stream,
                       fmt::format("stream {} of '{}' is not a video stream ({})", requested, path,
                                   media_type(ctx->streams[requested]->codecpar->codec_type)));
    return requested;
  }
  // ffmpeg CLI (fftools/ffmpeg_opt.c): the video stream with the highest score wins, first on ties;
  // score = width * height, plus a bonus for the default disposition.
  int best = -1;
  int64_t best_score = -1;
  for (unsigned i = 0; i < ctx->nb_streams; ++i) {
    const AVStream* st = ctx->streams[i];
    if (!usable_video(st)) continue;
    int64_t score = static_cast<int64_t>(st->codecpar->width) * st->codecpar->height +
                    5000000LL * !!(st->disposition & AV_DISPOSITION_DEFAULT);
    if (score > best_score) {
      best_score = score;
      best = static_cast<int>(i);
    }
  }
  if (best < 0) throw VideoError(VideoFailure::no_video_stream, fmt::format("no video stream in '{}'", path));
  return best;
}

VideoInfo describe_context(const AVFormatContext* ctx, int stream_index, const std::string& path) {
  VideoInfo info;
  info.path = path;
  info.format = ctx->iformat ? ctx->iformat->name : "";
  for (unsigned i = 0; i < ctx->nb_streams; ++i) info.streams.push_back(stream_info(ctx->streams[i]));
  info.chosen_stream = stream_index;
  const AVStream* st = ctx->streams[stream_index];
  const AVCodecParameters* p = st->codecpar;
  const StreamInfo& s = info.streams[stream_index];
  info.coded_width = p->width;
  info.coded_height = p->height;
  info.rotation = s.rotation;
  const bool swap = info.rotation == 90 || info.rotation == 270;
  info.width = swap ? p->height : p->width;
  info.height = swap ? p->width : p->height;
  info.nominal_fps = s.nominal_fps;
  info.avg_fps = s.avg_fps;
  info.duration_s = s.duration_s;
  if (info.duration_s <= 0 && ctx->duration != AV_NOPTS_VALUE && ctx->duration > 0)
    info.duration_s = ctx->duration / static_cast<double>(AV_TIME_BASE);
  if (st->start_time != AV_NOPTS_VALUE) info.start_time_s = st->start_time * av_q2d(st->time_base);
  info.codec = s.codec;
  info.pix_fmt = s.pix_fmt;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(p->format));
  if (desc) info.bit_depth = desc->comp[0].depth;
  const char* range = av_color_range_name(p->color_range);
  info.color_range = (p->color_range == AVCOL_RANGE_MPEG)   ? "tv"
                     : (p->color_range == AVCOL_RANGE_JPEG) ? "pc"
                                                            : "unknown";
  if (desc && (desc->flags & AV_PIX_FMT_FLAG_RGB)) info.color_range = "pc";
  (void)range;
  const char* space = av_color_space_name(p->color_space);
  info.color_space = (p->color_space == AVCOL_SPC_UNSPECIFIED || !space) ? "unknown" : space;
  info.time_base_num = st->time_base.num;
  info.time_base_den = st->time_base.den;
  if (s.frame_count > 0) {
    info.frame_count = s.frame_count;
    info.frame_count_source = "container";
  } else {
    const double fps = info.avg_fps > 0 ? info.avg_fps : info.nominal_fps;
    info.frame_count = static_cast<int64_t>(std::llround(info.duration_s * fps));
    info.frame_count_source = "estimate";
  }
  return info;
}

}  // namespace detail

VideoInfo probe_video(const std::string& path, int stream, bool count_frames) {
  auto ctx = detail::open_or_reject(path);
  const int index = detail::choose_video_stream(ctx.get(), stream, path);
  VideoInfo info = detail::describe_context(ctx.get(), index, path);
  if (count_frames && info.frame_count_source != "container") {
    for (unsigned i = 0; i < ctx->nb_streams; ++i)
      ctx->streams[i]->discard = static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    auto pkt = make_packet();
    int64_t n = 0;
    while (av_read_frame(ctx.get(), pkt.get()) >= 0) {
      if (pkt->stream_index == index) ++n;
      av_packet_unref(pkt.get());
    }
    info.frame_count = n;
    info.frame_count_source = "packets";
  }
  return info;
}

nlohmann::json to_json(const StreamInfo& s) {
  nlohmann::json j = {{"index", s.index}, {"type", s.type}, {"codec", s.codec}, {"default", s.is_default}};
  if (s.type == "video") {
    j["width"] = s.width;
    j["height"] = s.height;
    j["pix_fmt"] = s.pix_fmt;
    j["nominal_fps"] = s.nominal_fps;
    j["avg_fps"] = s.avg_fps;
    j["rotation"] = s.rotation;
    j["attached_pic"] = s.attached_pic;
  }
  j["duration_s"] = s.duration_s;
  j["frame_count"] = s.frame_count;
  return j;
}

nlohmann::json to_json(const VideoInfo& info) {
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& s : info.streams) streams.push_back(to_json(s));
  return {{"path", info.path},
          {"format", info.format},
          {"chosen_stream", info.chosen_stream},
          {"width", info.width},
          {"height", info.height},
          {"coded_width", info.coded_width},
          {"coded_height", info.coded_height},
          {"rotation", info.rotation},
          {"nominal_fps", info.nominal_fps},
          {"avg_fps", info.avg_fps},
          {"duration_s", info.duration_s},
          {"start_time_s", info.start_time_s},
          {"frame_count", info.frame_count},
          {"frame_count_source", info.frame_count_source},
          {"codec", info.codec},
          {"pix_fmt", info.pix_fmt},
          {"bit_depth", info.bit_depth},
          {"color_range", info.color_range},
          {"color_space", info.color_space},
          {"time_base", fmt::format("{}/{}", info.time_base_num, info.time_base_den)},
          {"streams", streams}};
}

std::string describe(const VideoInfo& info) {
  std::ostringstream os;
  os << info.path << " (" << info.format << ")\n";
  for (const auto& s : info.streams) {
    os << (s.index == info.chosen_stream ? " * " : "   ") << "stream " << s.index << ": " << s.type << " "
       << s.codec;
    if (s.type == "video")
      os << fmt::format(" {}x{} {} {:.3f} fps (avg {:.3f})", s.width, s.height, s.pix_fmt, s.nominal_fps,
                        s.avg_fps)
         << (s.rotation ? fmt::format(" rotation {}", s.rotation) : "");
    if (s.is_default) os << " [default]";
    os << "\n";
  }
  os << fmt::format(
      "chosen stream {}: {} {}x{} (after rotation {}; coded {}x{}), {}-bit {} range {} matrix {}\n"
      "fps nominal {:.6g}, average {:.6g}; duration {:.3f} s (start {:.3f} s); frames {} ({})\n",
      info.chosen_stream, info.codec, info.width, info.height, info.rotation, info.coded_width,
      info.coded_height, info.bit_depth, info.pix_fmt, info.color_range, info.color_space, info.nominal_fps,
      info.avg_fps, info.duration_s, info.start_time_s, info.frame_count, info.frame_count_source);
  return os.str();
}

}  // namespace vdf::video
