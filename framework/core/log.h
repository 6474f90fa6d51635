// Leveled logging (spdlog) with a rank prefix for distributed runs: "[12:00:01.123] [r1] [info] ...".
// Call vdf::log::init() once in main; set_rank() when the process group is known.
#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace vdf::log {

enum class Level { trace, debug, info, warn, error, off };

Level parse_level(const std::string& name);  // throws vdf::Error naming the bad value
void init(Level level = Level::info);
void set_level(Level level);
// Distributed runs: prefix every line with "[r<rank>]"; a world size of 1 keeps lines unprefixed.
void set_rank(int rank, int world_size);
// Also write every line to this file (the run directory's log), appending.
void add_file_sink(const std::string& path);
int rank();

}  // namespace vdf::log

#define VDF_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define VDF_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define VDF_INFO(...) ::spdlog::info(__VA_ARGS__)
#define VDF_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define VDF_ERROR(...) ::spdlog::error(__VA_ARGS__)
