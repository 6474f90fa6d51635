// Frame selection for a constant output rate, identical to FFmpeg's `fps` filter (libavfilter/vf_fps.c,
// default options round=near, eof_action=round, no start_time) as the ffmpeg CLI drives it:
//
//   every input frame gets out_pts = round_near_inf(pts * in_tb / out_tb); the first frame with a
//   timestamp sets the first output slot; output slot n shows the newest input frame whose out_pts
//   <= n (so frames are dropped when several land in one slot, and repeated to fill gaps); the last
//   frame fills slots up to round(eof_pts / out_tb), exclusive, where eof_pts is the end of the last
//   decoded frame (its pts plus its duration).
//
// Pure bookkeeping: it sees frame ids and timestamps, never pictures.
#pragma once
extern "C" {
#include <libavutil/rational.h>
}
#include <cstdint>
#include <deque>
#include <vector>

namespace vdf::video {

struct FpsEmit {
  int64_t id;       // caller's id of the input frame shown in this slot
  int64_t out_pts;  // output slot number (seconds = out_pts / fps)
};

class FpsSelector {
 public:
  // in_time_base: of the frame timestamps; fps as a double is converted like the filter does (av_d2q).
  FpsSelector(AVRational in_time_base, double fps);
  AVRational out_rate() const { return out_rate_; }
  // Adds a decoded frame (pts may be AV_NOPTS_VALUE) and returns the slots that are now decided.
  std::vector<FpsEmit> push(int64_t id, int64_t pts);
  // End of input at eof_pts (in_time_base): returns the remaining slots.
  std::vector<FpsEmit> finish(int64_t eof_pts);
  // Ids still buffered (at most 2); a caller keeps their pictures until they leave this set.
  std::vector<int64_t> pending_ids() const;

 private:
  void drain(bool eof, std::vector<FpsEmit>& out);
  AVRational in_tb_, out_rate_, out_tb_;
  struct Entry {
    int64_t id, pts;
  };
  std::deque<Entry> buf_;
  int64_t next_pts_;
  int64_t status_pts_ = 0;
};

}  // namespace vdf::video
