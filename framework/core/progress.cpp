#include "framework/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "framework/core/log.h"

namespace vdf {

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, double log_every_seconds)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), log_every_(log_every_seconds) {
  tty_ = isatty(fileno(stderr)) != 0;
  start_ = last_render_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

double ProgressBar::rate() const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? static_cast<double>(count_.load()) / elapsed : 0.0;
}

std::string ProgressBar::format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "--:--";
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{:02d}:{:02d}", s / 60, s % 60);
}

std::string ProgressBar::render_line() const {
  int64_t n = count_.load();
  double r = rate();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = label_;
  if (total_ > 0) {
    constexpr int width = 24;
    int filled = static_cast<int>(width * std::min<double>(1.0, static_cast<double>(n) / total_));
    line += " [" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
    line += fmt::format(" {}/{}", n, total_);
    double eta = r > 0 ? static_cast<double>(total_ - n) / r : -1;
    line += fmt::format("  {:.1f} {}/s  elapsed {}  ETA {}", r, unit_, format_duration(elapsed),
                        format_duration(eta));
  } else {
    line += fmt::format(" {} {}  {:.1f} {}/s  elapsed {}", n, unit_, r, unit_, format_duration(elapsed));
  }
  if (!postfix_.empty()) line += "  " + postfix_;
  return line;
}

void ProgressBar::maybe_render(bool force) {
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_render_).count();
  if (tty_) {
    if (!force && since < 0.1) return;
    last_render_ = now;
    std::fprintf(stderr, "\r\033[2K%s", render_line().c_str());
    std::fflush(stderr);
  } else {
    if (!force && since < log_every_) return;
    last_render_ = now;
    VDF_INFO("{}", render_line());
  }
}

void ProgressBar::advance(int64_t n) {
  count_ += n;
  std::lock_guard<std::mutex> lock(mutex_);
  maybe_render(false);
}

void ProgressBar::set_postfix(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  postfix_ = text;
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  maybe_render(true);
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace vdf
