#include "framework/video/image.h"

#include "framework/core/atomic_file.h"
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

std::string encode_png(const torch::Tensor& image) {
  VDF_CHECK(image.dim() == 3 && image.size(2) == 3 && image.scalar_type() == torch::kUInt8,
            "encode_png: expected a uint8 [H, W, 3] tensor, got {} {}", image.toString(),
            fmt::format("[{}]", fmt::join(image.sizes(), ", ")));
  const torch::Tensor img = image.contiguous().cpu();
  const int h = static_cast<int>(img.size(0)), w = static_cast<int>(img.size(1));
  VDF_CHECK(h > 0 && w > 0, "encode_png: empty image {}x{}", w, h);
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  VDF_CHECK(codec, "encode_png: this FFmpeg has no PNG encoder");
  UniqueAVCodecContext ctx(avcodec_alloc_context3(codec));
  VDF_CHECK(ctx, "encode_png: out of memory");
  ctx->width = w;
  ctx->height = h;
  ctx->pix_fmt = AV_PIX_FMT_RGB24;
  ctx->time_base = AVRational{1, 25};
  av_check(avcodec_open2(ctx.get(), codec, nullptr), "opening the PNG encoder for", "<memory>");
  auto frame = make_frame();
  frame->width = w;
  frame->height = h;
  frame->format = AV_PIX_FMT_RGB24;
  av_check(av_frame_get_buffer(frame.get(), 0), "allocating a frame for", "<png>");
  const uint8_t* src = img.data_ptr<uint8_t>();
  for (int y = 0; y < h; ++y) std::memcpy(frame->data[0] + y * frame->linesize[0], src + y * w * 3, w * 3);
  frame->pts = 0;
  av_check(avcodec_send_frame(ctx.get(), frame.get()), "encoding", "<png>");
  av_check(avcodec_send_frame(ctx.get(), nullptr), "flushing", "<png>");
  std::string bytes;
  auto pkt = make_packet();
  while (true) {
    int rc = avcodec_receive_packet(ctx.get(), pkt.get());
    if (rc == AVERROR_EOF || rc == AVERROR(EAGAIN)) break;
    av_check(rc, "encoding", "<png>");
    bytes.append(reinterpret_cast<const char*>(pkt->data), pkt->size);
    av_packet_unref(pkt.get());
  }
  VDF_CHECK(!bytes.empty(), "encode_png: the encoder produced no data");
  return bytes;
}

void write_png(const std::string& path, const torch::Tensor& image) {
  with_context(fmt::format("writing PNG '{}'", path), [&] { write_file_atomic(path, encode_png(image)); });
}

}  // namespace vdf::video
