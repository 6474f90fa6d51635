// Small synthetic videos made with the ffmpeg CLI (lavfi sources) once per test process, for the
// rejection paths and clip cutting. Header-only; tests/video only.
#pragma once
#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include "tests/test_support.h"
#include "tests/video/oracle.h"

namespace vdf::testing::video {

// Path of fixture `name`, created on first use by `ffmpeg <args> <path>`. Throws if ffmpeg fails.
inline std::string make_fixture(const std::string& name, const std::string& ffmpeg_args) {
  static TempDir dir("vdf-video-fixtures");
  static std::mutex mutex;
  static std::map<std::string, std::string> made;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = made.find(name);
  if (it != made.end()) return it->second;
  const auto path = (dir.path() / name).string();
  const auto r = run_command("ffmpeg -nostdin -hide_banner -v error -y " + ffmpeg_args + " " + quote(path));
  if (r.exit_code != 0) throw std::runtime_error("making fixture " + name + " failed: " + r.output);
  made[name] = path;
  return path;
}

inline std::string fixture_dir() { return fs::path(make_fixture("moving.mp4",
    "-f lavfi -i testsrc2=size=160x120:rate=10 -t 5 -pix_fmt yuv420p -c:v libx264 -preset ultrafast")).parent_path().string(); }

// A moving test pattern: 5 s, 10 fps, 160x120.
inline std::string moving_video() {
  return make_fixture("moving.mp4", "-f lavfi -i testsrc2=size=160x120:rate=10 -t 5 -pix_fmt yuv420p -c:v libx264 -preset ultrafast");
}

inline std::string write_text_file(const std::string& name, const std::string& content) {
  const auto path = (fs::path(fixture_dir()) / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace vdf::testing::video
