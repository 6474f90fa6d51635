#include "framework/models/asset_path.h"

#include <cstdlib>

namespace vdf::models {

namespace fs = std::filesystem;

fs::path shared_asset(const std::string& rel) {
  std::error_code ec;
  if (const char* d = std::getenv("VDF_SHARED_DIR"); d && *d) {
    fs::path p = fs::path(d) / rel;
    if (fs::exists(p, ec)) return p;
  }
  // Walk up from the working directory, then from the executable (build/<preset>/tools/vdf sits inside
  // the checkout, whose sibling is shared/), so commands work from any folder.
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path dir : {fs::current_path(ec), ec ? fs::path() : exe.parent_path()}) {
    for (int up = 0; up < 8 && !dir.empty(); ++up) {
      for (const char* name : {"shared", "../shared"}) {
        fs::path cand = dir / name / rel;
        if (fs::exists(cand, ec)) return fs::weakly_canonical(cand, ec);
      }
      if (dir == dir.parent_path()) break;
      dir = dir.parent_path();
    }
  }
  return fs::path("../shared") / rel;
}

}  // namespace vdf::models
