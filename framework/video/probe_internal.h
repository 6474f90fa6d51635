// Internals shared by probe.cpp and decoder.cpp (not a public interface).
#pragma once
#include "framework/video/ffmpeg_common.h"
#include "framework/video/probe.h"

namespace vdf::video::detail {

// Opens `path`; throws VideoError(unreadable) with FFmpeg's message.
UniqueAVFormatInput open_or_reject(const std::string& path);
// The stream the ffmpeg CLI would map for video (or `requested`, checked). Throws VideoError(no_video_stream).
int choose_video_stream(const AVFormatContext* ctx, int requested, const std::string& path);
// Fills VideoInfo from an opened context (no decoding).
VideoInfo describe_context(const AVFormatContext* ctx, int stream_index, const std::string& path);

}  // namespace vdf::video::detail
