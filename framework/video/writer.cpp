#include "framework/video/writer.h"

extern "C" {
#include <libavutil/opt.h>
}
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <filesystem>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/video/ffmpeg_common.h"

namespace vdf::video {

bool has_libx264() { return avcodec_find_encoder_by_name("libx264") != nullptr; }

struct Mp4Writer::Impl {
  std::string path, tmp;
  int width = 0, height = 0, enc_w = 0, enc_h = 0;
  AVRational rate{0, 1};
  UniqueAVFormatOutput oc;
  UniqueAVCodecContext enc;
  AVStream* st = nullptr;
  UniqueSwsContext sws;
  UniqueAVFrame yuv;
  UniqueAVPacket pkt;
  int64_t next_pts = 0;
  bool header_written = false, closed = false;
  std::string codec;

  ~Impl() {
    if (!closed && !tmp.empty()) {
      enc.reset();
      oc.reset();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
    }
  }

  void open(const std::string& p, int w, int h, double fps, const Mp4WriterOptions& o) {
    quiet_ffmpeg_logs();
    path = p;
    width = w;
    height = h;
    VDF_CHECK(w >= 1 && h >= 1 && w <= 16384 && h <= 16384, "writing '{}': bad frame size {}x{}", p, w, h);
    VDF_CHECK(fps > 0 && fps <= 1000 && std::isfinite(fps), "writing '{}': bad fps {}", p, fps);
    enc_w = w + (w & 1);
    enc_h = h + (h & 1);
    rate = av_d2q(fps, 1 << 20);
    tmp = temp_path_for(p).string();

    const AVCodec* c = nullptr;
    if (o.codec == "auto" || o.codec == "libx264") c = avcodec_find_encoder_by_name("libx264");
    if (!c && o.codec == "libx264") fail("writing '{}': this FFmpeg has no libx264 encoder", p);
    if (!c) c = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    VDF_CHECK(c, "writing '{}': this FFmpeg has neither libx264 nor an MPEG-4 encoder", p);
    codec = c->name;

    AVFormatContext* raw = nullptr;
    av_check(avformat_alloc_output_context2(&raw, nullptr, "mp4", tmp.c_str()), "creating MP4 muxer for", p);
    oc.reset(raw);
    st = avformat_new_stream(oc.get(), nullptr);
    VDF_CHECK(st, "writing '{}': avformat_new_stream failed", p);
    enc.reset(avcodec_alloc_context3(c));
    VDF_CHECK(enc, "writing '{}': out of memory", p);
    enc->width = enc_w;
    enc->height = enc_h;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = av_inv_q(rate);
    enc->framerate = rate;
    enc->sample_aspect_ratio = AVRational{1, 1};
    enc->color_range = AVCOL_RANGE_MPEG;
    enc->colorspace = AVCOL_SPC_BT709;
    enc->color_primaries = AVCOL_PRI_BT709;
    enc->color_trc = AVCOL_TRC_BT709;
    enc->thread_count = o.threads;
    enc->gop_size = 250;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (codec == "libx264") {
      av_opt_set(enc->priv_data, "crf", std::to_string(o.crf).c_str(), 0);
      av_opt_set(enc->priv_data, "preset", o.preset.c_str(), 0);
    } else {
      // MPEG-4 Part 2 has no CRF: a fixed quantizer, roughly crf/6 (crf 18 -> q 3).
      const int q = std::clamp(o.crf / 6, 2, 31);
      enc->flags |= AV_CODEC_FLAG_QSCALE;
      enc->global_quality = FF_QP2LAMBDA * q;
      enc->max_b_frames = 0;
    }
    av_check(avcodec_open2(enc.get(), c, nullptr), "opening the encoder for", p);
    av_check(avcodec_parameters_from_context(st->codecpar, enc.get()), "setting stream parameters of", p);
    st->time_base = enc->time_base;
    st->avg_frame_rate = rate;
    st->r_frame_rate = rate;
    av_check(avio_open(&oc->pb, tmp.c_str(), AVIO_FLAG_WRITE), "opening for writing", tmp);
    av_check(avformat_write_header(oc.get(), nullptr), "writing the MP4 header of", p);
    header_written = true;

    sws.reset(sws_getContext(enc_w, enc_h, AV_PIX_FMT_RGB24, enc_w, enc_h, AV_PIX_FMT_YUV420P,
                             SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
    VDF_CHECK(sws, "writing '{}': cannot create the rgb24 -> yuv420p converter", p);
    av_check(sws_setColorspaceDetails(sws.get(), sws_getCoefficients(SWS_CS_ITU709), 1,
                                      sws_getCoefficients(SWS_CS_ITU709), 0, 0, 1 << 16, 1 << 16),
             "setting the BT.709 matrix for", p);
    yuv = make_frame();
    yuv->format = AV_PIX_FMT_YUV420P;
    yuv->width = enc_w;
    yuv->height = enc_h;
    yuv->color_range = AVCOL_RANGE_MPEG;
    yuv->colorspace = AVCOL_SPC_BT709;
    av_check(av_frame_get_buffer(yuv.get(), 0), "allocating a frame for", p);
    pkt = make_packet();
  }

  void drain(bool flush) {
    while (true) {
      int rc = avcodec_receive_packet(enc.get(), pkt.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      av_check(rc, "encoding", path);
      if (pkt->duration <= 0) pkt->duration = 1;
      av_packet_rescale_ts(pkt.get(), enc->time_base, st->time_base);
      pkt->stream_index = st->index;
      av_check(av_interleaved_write_frame(oc.get(), pkt.get()), "writing a packet to", path);
    }
  }

  void write(const torch::Tensor& frame) {
    VDF_CHECK(!closed && enc, "writing '{}': the writer is not open", path);
    VDF_CHECK(frame.dim() == 3 && frame.size(0) == height && frame.size(1) == width && frame.size(2) == 3 &&
                  frame.scalar_type() == torch::kUInt8,
              "writing '{}': expected a uint8 [{}, {}, 3] frame, got {} [{}]", path, height, width,
              frame.toString(), fmt::join(frame.sizes(), ", "));
    torch::Tensor img = frame.contiguous().cpu();
    if (enc_w != width || enc_h != height)  // pad odd sizes by repeating the last column/row
      img = torch::nn::functional::pad(img.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat),
                                       torch::nn::functional::PadFuncOptions({0, enc_w - width, 0, enc_h - height})
                                           .mode(torch::kReplicate))
                .squeeze(0)
                .permute({1, 2, 0})
                .to(torch::kUInt8)
                .contiguous();
    av_check(av_frame_make_writable(yuv.get()), "preparing a frame for", path);
    const uint8_t* src[4] = {img.data_ptr<uint8_t>(), nullptr, nullptr, nullptr};
    int src_stride[4] = {enc_w * 3, 0, 0, 0};
    sws_scale(sws.get(), src, src_stride, 0, enc_h, yuv->data, yuv->linesize);
    yuv->pts = next_pts++;
    av_check(avcodec_send_frame(enc.get(), yuv.get()), "encoding a frame of", path);
    drain(false);
  }

  void close() {
    if (closed) return;
    VDF_CHECK(enc, "closing '{}': the writer is not open", path);
    av_check(avcodec_send_frame(enc.get(), nullptr), "flushing the encoder of", path);
    drain(true);
    av_check(av_write_trailer(oc.get()), "finishing", path);
    av_check(avio_closep(&oc->pb), "closing", tmp);
    oc.reset();
    enc.reset();
    commit_rename(tmp, path);
    closed = true;
  }
};

Mp4Writer::Mp4Writer() = default;
Mp4Writer::~Mp4Writer() = default;

void Mp4Writer::open(const std::string& path, int width, int height, double fps, int crf) {
  Mp4WriterOptions o;
  o.crf = crf;
  open(path, width, height, fps, o);
}
void Mp4Writer::open(const std::string& path, int width, int height, double fps, const Mp4WriterOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->open(path, width, height, fps, options);
  impl_ = std::move(impl);
}
void Mp4Writer::write(const torch::Tensor& frame) {
  VDF_CHECK(impl_, "Mp4Writer::write before open");
  impl_->write(frame);
}
void Mp4Writer::close() {
  VDF_CHECK(impl_, "Mp4Writer::close before open");
  impl_->close();
}
bool Mp4Writer::is_open() const { return impl_ && !impl_->closed; }
std::string Mp4Writer::codec_name() const { return impl_ ? impl_->codec : ""; }
int64_t Mp4Writer::frames_written() const { return impl_ ? impl_->next_pts : 0; }

void write_mp4(const std::string& path, const torch::Tensor& frames, double fps, int crf) {
  VDF_CHECK(frames.dim() == 4 && frames.size(3) == 3 && frames.scalar_type() == torch::kUInt8 && frames.size(0) > 0,
            "write_mp4 '{}': expected uint8 [T, H, W, 3] with T >= 1, got {} [{}]", path, frames.toString(),
            fmt::join(frames.sizes(), ", "));
  Mp4Writer w;
  w.open(path, static_cast<int>(frames.size(2)), static_cast<int>(frames.size(1)), fps, crf);
  for (int64_t t = 0; t < frames.size(0); ++t) w.write(frames[t]);
  w.close();
}

}  // namespace vdf::video
