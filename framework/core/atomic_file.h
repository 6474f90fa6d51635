// Files that matter are written atomically: into "<path>.tmp-<pid>", fsync'd, then renamed over <path>,
// and the parent folder fsync'd. An interrupted process never leaves a file that looks complete.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace vdf {

// Writes `bytes` to `path` atomically. Throws vdf::Error naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
// Reads a whole file; throws vdf::Error naming the path.
std::string read_file(const std::filesystem::path& path);
// The temporary name used while writing `path` (same folder, so rename() is atomic).
std::filesystem::path temp_path_for(const std::filesystem::path& path);
// fsync a file or folder by path (best effort for folders).
void fsync_path(const std::filesystem::path& path);
// Atomically renames `from` to `to` and fsyncs the destination folder.
void commit_rename(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace vdf
