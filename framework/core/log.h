// Leveled logging with a rank prefix for distributed runs: "[12:00:01.123] [r1] [info] ...".
// Call vdf::log::init() once in main; set_rank() when the process group is known. Lines go to stderr
// (coloured level when it is a terminal) and, after add_file_sink(), also to the run's log file.
// Formatting is fmt's (the copy LibTorch ships, header-only), so arguments are checked like fmt::format.
#pragma once
#include <fmt/format.h>

#include <string>

namespace vdf::log {

enum class Level { trace, debug, info, warn, error, off };

Level parse_level(const std::string& name);  // throws vdf::Error naming the bad value
void init(Level level = Level::info);
void set_level(Level level);
bool enabled(Level level);
// Distributed runs: prefix every line with "[r<rank>]"; a world size of 1 keeps lines unprefixed.
void set_rank(int rank, int world_size);
// Also write every line to this file (the run directory's log), appending.
void add_file_sink(const std::string& path);
int rank();
// Writes one finished line (thread-safe). The macros below format only when the level is enabled.
void write(Level level, const std::string& message);

}  // namespace vdf::log

#define VDF_LOG_AT(level, ...)                                                                \
  do {                                                                                        \
    if (::vdf::log::enabled(level)) ::vdf::log::write(level, ::fmt::format(__VA_ARGS__));     \
  } while (0)
#define VDF_TRACE(...) VDF_LOG_AT(::vdf::log::Level::trace, __VA_ARGS__)
#define VDF_DEBUG(...) VDF_LOG_AT(::vdf::log::Level::debug, __VA_ARGS__)
#define VDF_INFO(...) VDF_LOG_AT(::vdf::log::Level::info, __VA_ARGS__)
#define VDF_WARN(...) VDF_LOG_AT(::vdf::log::Level::warn, __VA_ARGS__)
#define VDF_ERROR(...) VDF_LOG_AT(::vdf::log::Level::error, __VA_ARGS__)
