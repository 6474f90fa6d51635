// Manifests: the list of captioned inputs `vdf ingest` reads. Two formats:
//  * CSV (RFC 4180: header row, quoted fields with "" escapes, embedded commas/newlines, CRLF or LF):
//    columns `path` (or `video`/`file`), `caption` (or `text`/`prompt`), optional `id`, `split`.
//  * JSONL: one object per line {"path": ..., "caption": ..., "id": ..., "split": ...}; blank lines skipped.
// Paths are relative to the manifest's folder (absolute paths are kept). Every row becomes an input;
// rows that cannot be ingested (missing file, empty caption, duplicate id, malformed row) are kept with
// a reject reason, so that accepted + rejected = inputs always holds in the report.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vdf::data {

// Reject reasons decided from the manifest alone (the video stage adds its own).
namespace reject {
inline constexpr const char* kMissingFile = "missing_file";
inline constexpr const char* kEmptyCaption = "empty_caption";
inline constexpr const char* kDuplicateId = "duplicate_id";
inline constexpr const char* kMalformedRow = "malformed_row";
inline constexpr const char* kDecodeError = "decode_error";  // extraction threw
inline constexpr const char* kEncodeError = "encode_error";  // a model threw on this input
}  // namespace reject

struct ManifestEntry {
  int64_t row = 0;               // 0-based index among the manifest's inputs (after the split filter)
  int64_t line = 0;              // 1-based line in the manifest file (for messages)
  std::string path;              // as written in the manifest
  std::filesystem::path resolved;  // relative to the manifest folder
  std::string caption;
  std::string id;                // explicit id, or the path as written
  std::string split;
  bool is_image = false;         // .png/.jpg/.jpeg: a one-frame clip
  std::string reject_reason;     // empty = ok so far
  std::string reject_detail;
};

struct Manifest {
  std::filesystem::path file;
  std::vector<ManifestEntry> entries;  // every input row, in file order, rejected ones included
};

// Reads and checks a manifest. `format`: "auto" (by extension: .jsonl/.json -> JSONL, else CSV), "csv",
// "jsonl". `split`: keep only rows of this split ("" = all). Throws vdf::Error naming the file when the
// manifest itself is unusable (unreadable, no header, no path/caption column); bad rows are rejected.
Manifest read_manifest(const std::filesystem::path& file, const std::string& format = "auto",
                       const std::string& split = "", bool check_files = true);

// Parsers, exposed for tests and fuzzing. Each returns rows of fields; `lines` gets the 1-based line
// each row starts on. parse_csv throws vdf::Error on an unterminated quote.
std::vector<std::vector<std::string>> parse_csv(const std::string& text, std::vector<int64_t>* lines = nullptr);

bool is_image_path(const std::string& path);

// The inputs of one rank: entries with row % world_size == rank, in manifest order.
std::vector<ManifestEntry> rank_slice(const std::vector<ManifestEntry>& entries, int rank, int world_size);

}  // namespace vdf::data
