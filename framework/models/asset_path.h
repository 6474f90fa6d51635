// Locating files of ../shared/assets (tokenizer vocab, TAEF2 weights) when a config leaves a path empty.
#pragma once
#include <filesystem>
#include <string>

namespace vdf::models {

// Resolves `rel` (e.g. "assets/vae/taef2_encoder.pth") against, in order: $VDF_SHARED_DIR, then a
// folder named `shared` beside the working directory or any of its parents, then the same beside
// the running executable or any of its parents. Returns the first existing
// file, or "../shared/<rel>" when none exists (opening it then fails with that path in the message).
std::filesystem::path shared_asset(const std::string& rel);

}  // namespace vdf::models
