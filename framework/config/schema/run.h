// Config section `run`: where a run lives and how the process behaves.
#pragma once
#include <cstdint>
#include <string>

#include "framework/config/binding.h"

namespace vdf::config {

enum class LogLevel { trace, debug, info, warn, error };
VDF_CONFIG_ENUM(LogLevel, {LogLevel::trace, "trace"}, {LogLevel::debug, "debug"}, {LogLevel::info, "info"},
                {LogLevel::warn, "warn"}, {LogLevel::error, "error"})

struct RunConfig {
  std::string name = "vdf";         // run name; the run directory is <root>/<name>
  std::string root = "runs";        // parent folder of run directories
  int64_t seed = 0;                 // global seed (data order, init, noise)
  std::string device = "auto";      // auto | cpu | cuda | cuda:N
  LogLevel log_level = LogLevel::info;
  int threads = 0;                  // intra-op threads; 0 = LibTorch default

  template <class V>
  void visit(V& v) {
    v("name", name, "run name; the run directory is <root>/<name>");
    v("root", root, "parent folder of run directories");
    v("seed", seed, "global seed for data order, initialization and noise");
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("log_level", log_level, "least severe log level printed");
    v("threads", threads, "intra-op CPU threads (0 = LibTorch default)");
  }
  void validate(const Check& c) const {
    c.require(!name.empty() && name.find('/') == std::string::npos, "name", name,
              "a non-empty name without '/'");
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
              "auto, cpu, cuda or cuda:N");
    c.require(threads >= 0, "threads", threads, ">= 0");
  }
};

}  // namespace vdf::config
