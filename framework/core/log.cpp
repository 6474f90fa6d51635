#include "framework/core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

#include "framework/core/error.h"

namespace vdf::log {
namespace {
int g_rank = 0;
int g_world = 1;
std::once_flag g_init_once;

std::string pattern() {
  if (g_world > 1) return fmt::format("[%H:%M:%S.%e] [r{}] [%^%l%$] %v", g_rank);
  return "[%H:%M:%S.%e] [%^%l%$] %v";
}

spdlog::level::level_enum to_spd(Level level) {
  switch (level) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
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
  std::call_once(g_init_once, [] {
    // Logs go to stderr so that machine-readable output (JSON, configs) on stdout stays clean.
    auto logger = spdlog::stderr_color_mt("vdf");
    spdlog::set_default_logger(logger);
  });
  spdlog::set_level(to_spd(level));
  spdlog::set_pattern(pattern());
}

void set_level(Level level) { spdlog::set_level(to_spd(level)); }

void set_rank(int rank, int world_size) {
  g_rank = rank;
  g_world = world_size;
  spdlog::set_pattern(pattern());
}

void add_file_sink(const std::string& path) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  sink->set_pattern(pattern());
  spdlog::default_logger()->sinks().push_back(sink);
  spdlog::default_logger()->flush_on(spdlog::level::info);
}

int rank() { return g_rank; }

}  // namespace vdf::log
