#include "framework/core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "framework/core/error.h"

namespace vdf::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
int g_rank = 0;
int g_world = 1;
std::mutex g_mutex;           // one line at a time, from any thread
std::FILE* g_file = nullptr;  // the run's log file (add_file_sink), appended
bool g_color = false;

const char* level_name(Level level) {
  switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "?";
}

const char* level_color(Level level) {
  switch (level) {
    case Level::trace: return "\033[37m";
    case Level::debug: return "\033[36m";
    case Level::info: return "\033[32m";
    case Level::warn: return "\033[33;1m";
    case Level::error: return "\033[31;1m";
    case Level::off: return "";
  }
  return "";
}

// "[12:00:01.123] [r1] " (rank part only in multi-rank runs), local time.
std::string prefix() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  std::string out = fmt::format("[{:02}:{:02}:{:02}.{:03}] ", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  if (g_world > 1) out += fmt::format("[r{}] ", g_rank);
  return out;
}
}  // namespace

Level parse_level(const std::string& name) {
  if (name == "trace") return Level::trace;
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  if (name == "off") return Level::off;
  fail("unknown log level '{}' (expected trace, debug, info, warn, error or off)", name);
}

void init(Level level) {
  // Logs go to stderr so that machine-readable output (JSON, configs) on stdout stays clean.
  g_color = isatty(STDERR_FILENO) != 0;
  set_level(level);
}

void set_level(Level level) { g_level.store(static_cast<int>(level)); }

bool enabled(Level level) { return level != Level::off && static_cast<int>(level) >= g_level.load(); }

void set_rank(int rank, int world_size) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_rank = rank;
  g_world = world_size;
}

void add_file_sink(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  VDF_CHECK(f != nullptr, "cannot open log file {} for appending", path);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_file) std::fclose(g_file);
  g_file = f;
}

int rank() { return g_rank; }

void write(Level level, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::string head = prefix();
  if (g_color)
    std::fprintf(stderr, "%s[%s%s\033[0m] %s\n", head.c_str(), level_color(level), level_name(level), message.c_str());
  else
    std::fprintf(stderr, "%s[%s] %s\n", head.c_str(), level_name(level), message.c_str());
  if (g_file) {
    std::fprintf(g_file, "%s[%s] %s\n", head.c_str(), level_name(level), message.c_str());
    // Flushed per line: a crashed run's log must show its last words.
    std::fflush(g_file);
  }
}

}  // namespace vdf::log
