#include "framework/video/decoder.h"

#include <fmt/format.h>

#include <cmath>
#include <deque>
#include <map>

#include "framework/video/ffmpeg_common.h"
#include "framework/video/fps_selector.h"
#include "framework/video/probe_internal.h"

namespace vdf::video {

int sws_filter_flag(const std::string& name) {
  if (name == "area") return SWS_AREA;
  if (name == "bicubic") return SWS_BICUBIC;
  if (name == "bilinear") return SWS_BILINEAR;
  fail("resize filter '{}': expected area, bicubic or bilinear", name);
}

void cover_size(int src_w, int src_h, int w, int h, int* scaled_w, int* scaled_h) {
  // vf_scale.c ff_scale_adjust_dimensions with force_original_aspect_ratio=increase.
  const int64_t tmp_w = av_rescale(h, src_w, src_h);
  const int64_t tmp_h = av_rescale(w, src_h, src_w);
  *scaled_w = static_cast<int>(std::max<int64_t>(w, tmp_w));
  *scaled_h = static_cast<int>(std::max<int64_t>(h, tmp_h));
}

struct VideoDecoder::Impl {
  std::string path;
  DecodeOptions opt;
  VideoInfo info;
  UniqueAVFormatInput fmt;
  UniqueAVCodecContext dec;
  AVStream* st = nullptr;
  int stream_index = -1;
  AVRational tb{0, 1};
  int64_t ts_offset = 0;  // added to packet timestamps (stream time base): -container start time

  // output geometry (display orientation)
  int out_w = 0, out_h = 0;         // final
  int scaled_w = 0, scaled_h = 0;   // before crop, display orientation
  int crop_x = 0, crop_y = 0;
  int sws_flags = 0;
  UniqueSwsContext sws;
  int sws_src_w = -1, sws_src_h = -1, sws_src_fmt = -1, sws_cs = -1, sws_range = -1;
  torch::Tensor sws_buffer;  // [scaled_h_coded, padded row] uint8

  // decode state
  UniqueAVPacket pkt;
  UniqueAVFrame frame;
  bool demux_done = false, flushed = false, finished = false;
  int errors = 0;
  int64_t n_packets = 0, n_decoded = 0, n_out = 0;
  int64_t last_pkt_duration = 0;  // of the packet being decoded (0 while flushing)
  int64_t next_pts_us = AV_NOPTS_VALUE;  // ffmpeg CLI's ist->next_pts (end of the last frame)

  // resampling
  std::unique_ptr<FpsSelector> selector;
  std::map<int64_t, UniqueAVFrame> pending;        // decoded frames the selector may still show
  std::map<int64_t, torch::Tensor> converted;      // their pictures, once converted
  std::deque<DecodedFrame> ready;
  double native_fps = 0;
  int64_t first_native_pts = AV_NOPTS_VALUE;

  void open(const std::string& p, const DecodeOptions& o) {
    path = p;
    opt = o;
    sws_flags = sws_filter_flag(o.filter);
    if (o.accurate) sws_flags |= SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
    VDF_CHECK(o.crop == "center" || o.crop == "none", "crop mode '{}': expected center or none", o.crop);
    VDF_CHECK(o.target_fps >= 0 && std::isfinite(o.target_fps), "target fps {} must be >= 0", o.target_fps);
    VDF_CHECK((o.width == 0) == (o.height == 0) && o.width >= 0 && o.height >= 0,
              "output size {}x{}: give both width and height (or neither)", o.width, o.height);
    fmt = detail::open_or_reject(path);
    stream_index = detail::choose_video_stream(fmt.get(), o.stream, path);
    info = detail::describe_context(fmt.get(), stream_index, path);
    st = fmt->streams[stream_index];
    tb = st->time_base;
    for (unsigned i = 0; i < fmt->nb_streams; ++i)
      fmt->streams[i]->discard = static_cast<int>(i) == stream_index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    // ffmpeg CLI (no -copyts): timestamps start at the container's start time; for formats with
    // timestamp discontinuities (MPEG-PS/TS) at the earliest start of the streams actually used
    // (fftools correct_input_start_times()), i.e. of this stream.
    if (fmt->start_time != AV_NOPTS_VALUE) {
      int64_t start_us = fmt->start_time;
      if ((fmt->iformat->flags & AVFMT_TS_DISCONT) && st->start_time != AV_NOPTS_VALUE)
        start_us = av_rescale_q(st->start_time, tb, AV_TIME_BASE_Q);
      ts_offset = av_rescale_q(-start_us, AV_TIME_BASE_Q, tb);
    }

    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec)
      throw VideoError(VideoFailure::unreadable,
                       fmt::format("'{}': no decoder for codec '{}'", path, avcodec_get_name(st->codecpar->codec_id)));
    dec.reset(avcodec_alloc_context3(codec));
    if (!dec) fail("avcodec_alloc_context3: out of memory");
    av_check(avcodec_parameters_to_context(dec.get(), st->codecpar), "copying codec parameters of", path);
    dec->thread_count = o.threads;
    dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    dec->pkt_timebase = tb;
    int rc = avcodec_open2(dec.get(), codec, nullptr);
    if (rc < 0)
      throw VideoError(VideoFailure::unreadable,
                       fmt::format("opening the {} decoder for '{}': {}", codec->name, path, av_error_text(rc)));
    if (info.width <= 0 || info.height <= 0)
      throw VideoError(VideoFailure::unreadable, fmt::format("'{}': video stream has no picture size", path));

    // Output geometry.
    out_w = o.width ? o.width : info.width;
    out_h = o.height ? o.height : info.height;
    if (o.crop == "center" && o.width) {
      cover_size(info.width, info.height, out_w, out_h, &scaled_w, &scaled_h);
    } else {
      scaled_w = out_w;
      scaled_h = out_h;
    }
    crop_x = (scaled_w - out_w) / 2;
    crop_y = (scaled_h - out_h) / 2;

    native_fps = info.avg_fps > 0 ? info.avg_fps : info.nominal_fps;
    if (o.target_fps > 0) selector = std::make_unique<FpsSelector>(tb, o.target_fps);
    pkt = make_packet();
    frame = make_frame();
  }

  double out_fps() const { return selector ? av_q2d(selector->out_rate()) : native_fps; }

  // Converts one decoded picture: YCbCr -> RGB24 at the scaled size (coded orientation), then rotation
  // and crop. Returns a fresh uint8 [out_h, out_w, 3] tensor.
  torch::Tensor convert(const AVFrame* f) {
    const bool swap = info.rotation == 90 || info.rotation == 270;
    const int dst_w = swap ? scaled_h : scaled_w;  // coded orientation
    const int dst_h = swap ? scaled_w : scaled_h;
    const auto* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
    const bool yuvj = f->format == AV_PIX_FMT_YUVJ420P || f->format == AV_PIX_FMT_YUVJ422P ||
                      f->format == AV_PIX_FMT_YUVJ444P || f->format == AV_PIX_FMT_YUVJ440P ||
                      f->format == AV_PIX_FMT_YUVJ411P;
    const int range = (f->color_range == AVCOL_RANGE_JPEG || yuvj) ? 1 : 0;
    const int cs = f->colorspace;
    if (!sws || f->width != sws_src_w || f->height != sws_src_h || f->format != sws_src_fmt || cs != sws_cs ||
        range != sws_range) {
      VDF_CHECK(desc, "'{}': decoded frame has an unknown pixel format {}", path, f->format);
      sws.reset(sws_getContext(f->width, f->height, static_cast<AVPixelFormat>(f->format), dst_w, dst_h,
                               AV_PIX_FMT_RGB24, sws_flags, nullptr, nullptr, nullptr));
      if (!sws)
        fail("'{}': swscale cannot convert {} {}x{} to rgb24 {}x{}", path, desc->name, f->width, f->height, dst_w,
             dst_h);
      // Same as ffmpeg's scale filter with in_color_matrix=auto, in_range=auto: the frame's matrix
      // (unspecified -> BT.601) and range.
      if (!(desc->flags & AV_PIX_FMT_FLAG_RGB)) {
        const int* inv = sws_getCoefficients(cs);
        const int* table = sws_getCoefficients(SWS_CS_DEFAULT);
        av_check(sws_setColorspaceDetails(sws.get(), inv, range, table, 1, 0, 1 << 16, 1 << 16),
                 "setting the colour matrix for", path);
      }
      sws_src_w = f->width;
      sws_src_h = f->height;
      sws_src_fmt = f->format;
      sws_cs = cs;
      sws_range = range;
      const int64_t row = (static_cast<int64_t>(dst_w) * 3 + 63) / 64 * 64;
      sws_buffer = torch::empty({dst_h, row}, torch::kUInt8);
    }
    uint8_t* dst[4] = {sws_buffer.data_ptr<uint8_t>(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {static_cast<int>(sws_buffer.size(1)), 0, 0, 0};
    int rc = sws_scale(sws.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);
    if (rc <= 0) fail("'{}': sws_scale failed ({})", path, rc);
    torch::Tensor img = sws_buffer.narrow(1, 0, static_cast<int64_t>(dst_w) * 3).view({dst_h, dst_w, 3});
    // Rotation: clockwise degrees; torch::rot90(k=1, {0,1}) turns counter-clockwise.
    if (info.rotation == 90) img = torch::rot90(img, -1, {0, 1});
    else if (info.rotation == 180) img = torch::rot90(img, 2, {0, 1});
    else if (info.rotation == 270) img = torch::rot90(img, 1, {0, 1});
    if (crop_x || crop_y || img.size(0) != out_h || img.size(1) != out_w)
      img = img.narrow(0, crop_y, out_h).narrow(1, crop_x, out_w);
    return img.contiguous().clone(at::MemoryFormat::Contiguous);
  }

  // ffmpeg CLI bookkeeping of the end of the last frame (fftools/ffmpeg.c, process_input_packet).
  void track_end(const AVFrame* f) {
    const int64_t best = f->best_effort_timestamp;
    if (best != AV_NOPTS_VALUE) next_pts_us = av_rescale_q(best, tb, AV_TIME_BASE_Q);
    if (next_pts_us == AV_NOPTS_VALUE) return;
    const int64_t duration_pts = VDF_AV_FRAME_DURATION(f);
    if (duration_pts > 0) {
      next_pts_us += av_rescale_q(duration_pts, tb, AV_TIME_BASE_Q);
    } else if (last_pkt_duration > 0) {
      next_pts_us += av_rescale_q(last_pkt_duration, tb, AV_TIME_BASE_Q);
    } else if (dec->framerate.num > 0 && dec->framerate.den > 0) {
      const AVCodecParserContext* parser = av_stream_get_parser(st);
      const int ticks_per_frame = std::max(1, dec->ticks_per_frame);
      const int ticks = parser ? parser->repeat_pict + 1 : ticks_per_frame;
      next_pts_us += (int64_t)AV_TIME_BASE * dec->framerate.den * ticks / dec->framerate.num / ticks_per_frame;
    }
  }

  void emit(int64_t id, const AVFrame* f, int64_t out_slot) {
    DecodedFrame d;
    auto it = converted.find(id);
    if (it == converted.end()) it = converted.emplace(id, convert(f)).first;
    d.image = it->second;
    d.index = n_out++;
    d.source_index = id;
    d.source_pts = f->best_effort_timestamp;
    if (selector) {
      d.time_s = out_slot * av_q2d(av_inv_q(selector->out_rate()));
    } else {
      d.time_s = (f->best_effort_timestamp == AV_NOPTS_VALUE || first_native_pts == AV_NOPTS_VALUE)
                     ? (native_fps > 0 ? d.index / native_fps : 0.0)
                     : (f->best_effort_timestamp - first_native_pts) * av_q2d(tb);
    }
    ready.push_back(std::move(d));
  }

  void on_frame(UniqueAVFrame f) {
    if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT)) ++errors;
    track_end(f.get());
    const int64_t id = n_decoded++;
    if (!selector) {
      if (first_native_pts == AV_NOPTS_VALUE) first_native_pts = f->best_effort_timestamp;
      emit(id, f.get(), id);
      converted.clear();
      return;
    }
    const int64_t pts = f->best_effort_timestamp;
    pending.emplace(id, std::move(f));
    apply(selector->push(id, pts));
  }

  void apply(const std::vector<FpsEmit>& emits) {
    for (const auto& e : emits) emit(e.id, pending.at(e.id).get(), e.out_pts);
    // Release pictures the selector no longer holds.
    const auto keep = selector->pending_ids();
    for (auto it = pending.begin(); it != pending.end();) {
      if (std::find(keep.begin(), keep.end(), it->first) == keep.end()) {
        converted.erase(it->first);
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
  }

  void receive_all() {
    while (true) {
      if (opt.max_frames >= 0 && n_out >= opt.max_frames) return;
      int rc = avcodec_receive_frame(dec.get(), frame.get());
      if (rc == AVERROR(EAGAIN)) return;
      if (rc == AVERROR_EOF) {
        flushed = true;
        return;
      }
      if (rc < 0) {  // a broken frame: counted, decoding goes on (as the ffmpeg CLI does)
        ++errors;
        if (flushed || demux_done) {
          // Some decoders keep failing on drain; do not loop forever.
          if (errors > 1000000) flushed = true;
        }
        continue;
      }
      UniqueAVFrame f = make_frame();
      av_frame_move_ref(f.get(), frame.get());
      on_frame(std::move(f));
    }
  }

  // Moves the pipeline forward by one packet (or the final flush). Returns false when nothing is left.
  bool step() {
    if (finished) return false;
    if (opt.max_frames >= 0 && n_out >= opt.max_frames) {
      finished = true;
      return false;
    }
    if (!demux_done) {
      int rc = av_read_frame(fmt.get(), pkt.get());
      if (rc < 0) {
        if (rc != AVERROR_EOF) ++errors;  // truncated or unreadable data: treated as the end, counted
        demux_done = true;
        last_pkt_duration = 0;
        avcodec_send_packet(dec.get(), nullptr);
        receive_all();
        return true;
      }
      if (pkt->stream_index != stream_index) {
        av_packet_unref(pkt.get());
        return true;
      }
      if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += ts_offset;
      if (pkt->dts != AV_NOPTS_VALUE) pkt->dts += ts_offset;
      last_pkt_duration = pkt->duration;
      ++n_packets;
      rc = avcodec_send_packet(dec.get(), pkt.get());
      av_packet_unref(pkt.get());
      if (rc == AVERROR(EAGAIN)) {
        // Should not happen since we drain after every packet; drain and retry once.
        receive_all();
      } else if (rc < 0 && rc != AVERROR_EOF) {
        ++errors;  // the decoder rejected the packet (corrupt data); keep going
      }
      receive_all();
      return true;
    }
    if (!flushed) {
      receive_all();
      if (!flushed && !(opt.max_frames >= 0 && n_out >= opt.max_frames)) flushed = true;
      return true;
    }
    // End of stream: the selector fills the last slots up to the end of the last frame.
    if (selector) {
      const int64_t eof_pts = next_pts_us == AV_NOPTS_VALUE
                                  ? AV_NOPTS_VALUE
                                  : av_rescale_q_rnd(next_pts_us, AV_TIME_BASE_Q, tb,
                                                     static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
      apply(selector->finish(eof_pts));
    }
    finished = true;
    return !ready.empty();
  }

  bool next(DecodedFrame* out) {
    while (ready.empty()) {
      if (!step() && ready.empty()) return false;
    }
    if (opt.max_frames >= 0 && ready.front().index >= opt.max_frames) {
      ready.clear();
      finished = true;
      return false;
    }
    *out = std::move(ready.front());
    ready.pop_front();
    return true;
  }
};

VideoDecoder::VideoDecoder() = default;
VideoDecoder::VideoDecoder(const std::string& path, const DecodeOptions& options) { open(path, options); }
VideoDecoder::~VideoDecoder() = default;
VideoDecoder::VideoDecoder(VideoDecoder&&) noexcept = default;
VideoDecoder& VideoDecoder::operator=(VideoDecoder&&) noexcept = default;

void VideoDecoder::open(const std::string& path, const DecodeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->open(path, options);
  impl_ = std::move(impl);
}
bool VideoDecoder::is_open() const { return impl_ != nullptr; }
bool VideoDecoder::next(DecodedFrame* frame) {
  VDF_CHECK(impl_, "VideoDecoder::next called before open");
  return impl_->next(frame);
}
const VideoInfo& VideoDecoder::info() const {
  VDF_CHECK(impl_, "VideoDecoder::info called before open");
  return impl_->info;
}
int VideoDecoder::out_width() const { return impl_ ? impl_->out_w : 0; }
int VideoDecoder::out_height() const { return impl_ ? impl_->out_h : 0; }
double VideoDecoder::out_fps() const { return impl_ ? impl_->out_fps() : 0.0; }
int VideoDecoder::decode_errors() const { return impl_ ? impl_->errors : 0; }
int64_t VideoDecoder::packets() const { return impl_ ? impl_->n_packets : 0; }
int64_t VideoDecoder::frames_decoded() const { return impl_ ? impl_->n_decoded : 0; }

DecodedVideo decode_video(const std::string& path, const DecodeOptions& options) {
  VideoDecoder dec(path, options);
  DecodedVideo out;
  std::vector<torch::Tensor> frames;
  DecodedFrame f;
  while (dec.next(&f)) {
    frames.push_back(f.image);
    out.timestamps.push_back(f.time_s);
    out.source_indices.push_back(f.source_index);
  }
  out.frames = frames.empty() ? torch::empty({0, dec.out_height(), dec.out_width(), 3}, torch::kUInt8)
                              : torch::stack(frames);
  out.fps = dec.out_fps();
  out.decode_errors = dec.decode_errors();
  out.packets = dec.packets();
  out.frames_decoded = dec.frames_decoded();
  out.info = dec.info();
  return out;
}

}  // namespace vdf::video
