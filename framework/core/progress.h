// A progress bar for long work: "ingest  [#####-----] 512/1024  37.2 it/s  ETA 00:13" redrawn in place
// on a terminal; when stderr is not a terminal (CI, SLURM logs) it degrades to one log line every
// `log_every_seconds`. Thread-safe: several workers may call advance().
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace vdf {

class ProgressBar {
 public:
  // total <= 0 means unknown (no ETA, no bar).
  ProgressBar(std::string label, int64_t total, std::string unit = "it", double log_every_seconds = 10.0);
  ~ProgressBar();
  void advance(int64_t n = 1);
  void set_postfix(const std::string& text);  // e.g. "loss 0.123"
  void finish();                               // prints the final line once
  int64_t count() const { return count_.load(); }
  double rate() const;                         // units per second since start

  // Formatting helpers, exposed for tests.
  static std::string format_duration(double seconds);
  std::string render_line() const;

 private:
  void maybe_render(bool force);

  std::string label_, unit_, postfix_;
  int64_t total_;
  double log_every_;
  bool tty_;
  bool finished_ = false;
  std::atomic<int64_t> count_{0};
  std::chrono::steady_clock::time_point start_, last_render_;
  mutable std::mutex mutex_;
};

}  // namespace vdf
