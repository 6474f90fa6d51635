// `vdf probe FILE [--json] [--stream N] [--count-frames]`: streams, chosen stream, size after rotation,
// FPS (nominal and average), duration, frame count.
#ifdef VDF_WITH_VIDEO
#include <iostream>

#include "framework/video/probe.h"
#include "tools/vdf/command.h"

namespace {

struct ProbeOptions {
  std::string file;
  bool json = false;
  int stream = -1;
  bool count_frames = false;
};

void run(const ProbeOptions& o) {
  const auto info = vdf::video::probe_video(o.file, o.stream, o.count_frames);
  if (o.json) std::cout << vdf::video::to_json(info).dump(2) << "\n";
  else std::cout << vdf::video::describe(info);
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<ProbeOptions>();
  auto* cmd = app.add_subcommand("probe", "Describe a video: streams, chosen stream, size after rotation, fps, "
                                          "duration, frame count");
  cmd->add_option("file", opts->file, "video file")->required();
  cmd->add_flag("--json", opts->json, "print JSON instead of text");
  cmd->add_option("--stream", opts->stream, "video stream index to describe (-1 = best, as ffmpeg picks)");
  cmd->add_flag("--count-frames", opts->count_frames,
                "count packets when the container stores no frame count (demux only, no decoding)");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(probe, setup);
#endif  // VDF_WITH_VIDEO
