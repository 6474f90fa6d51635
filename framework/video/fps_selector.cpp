#include "framework/video/fps_selector.h"

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>
}
#include <climits>

namespace vdf::video {

FpsSelector::FpsSelector(AVRational in_time_base, double fps)
    : in_tb_(in_time_base), out_rate_(av_d2q(fps, INT_MAX)), next_pts_(AV_NOPTS_VALUE) {
  out_tb_ = av_inv_q(out_rate_);
}

std::vector<FpsEmit> FpsSelector::push(int64_t id, int64_t pts) {
  const auto rnd = static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
  buf_.push_back({id, av_rescale_q_rnd(pts, in_tb_, out_tb_, rnd)});
  std::vector<FpsEmit> out;
  drain(false, out);
  return out;
}

std::vector<FpsEmit> FpsSelector::finish(int64_t eof_pts) {
  const auto rnd = static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
  status_pts_ = av_rescale_q_rnd(eof_pts, in_tb_, out_tb_, rnd);
  std::vector<FpsEmit> out;
  drain(true, out);
  return out;
}

std::vector<int64_t> FpsSelector::pending_ids() const {
  std::vector<int64_t> ids;
  for (const auto& e : buf_) ids.push_back(e.id);
  return ids;
}

void FpsSelector::drain(bool eof, std::vector<FpsEmit>& out) {
  // vf_fps.c write_frame(), called while two frames are buffered or, at EOF, while any is.
  while (!buf_.empty() && (buf_.size() == 2 || eof)) {
    if (next_pts_ == AV_NOPTS_VALUE) {
      if (buf_[0].pts != AV_NOPTS_VALUE) {
        next_pts_ = buf_[0].pts;
      } else {  // "Discarding initial frame(s) with no timestamp"
        buf_.pop_front();
        continue;
      }
    }
    if ((buf_.size() == 2 && buf_[1].pts <= next_pts_) || (eof && status_pts_ <= next_pts_)) {
      buf_.pop_front();
      continue;
    }
    out.push_back({buf_[0].id, next_pts_++});
  }
}

}  // namespace vdf::video
