// The root of every vdf config file. Each top-level section has its own header in schema/; a config
// file sets only the sections it needs (an ingest config sets `ingest`, an experiment sets `model`,
// `diffusion`, `train`, ...), everything else keeps its documented default.
// Add a section: write schema/<name>.h with a struct that has visit() and validate(), then list it here.
#pragma once
#include <string>
#include <vector>

#include "framework/config/binding.h"
#include "framework/config/document.h"
#include "framework/config/schema/eval.h"
#include "framework/config/schema/run.h"
#include "framework/config/schema/synthetic.h"

namespace vdf::config {

struct VdfConfig {
  RunConfig run;
  SyntheticConfig synthetic;
  EvalConfig eval;

  template <class V>
  void visit(V& v) {
    v("run", run, "run directory, seed, device, logging");
    v("synthetic", synthetic, "synthetic coloured-shapes dataset (vdf synth)");
    v("eval", eval, "evaluation: FID, IS, FVD, CLIP score, reports");
  }
  void validate(const Check& c) const {
    run.validate(c.sub("run"));
    synthetic.validate(c.sub("synthetic"));
    eval.validate(c.sub("eval"));
  }
};

// Loads a config file (with `_base_`), applies overrides "a.b=value", binds and validates.
// An empty path means "defaults only". Errors name the key path, the file:line and the expected type.
VdfConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text (tests, embedded defaults).
VdfConfig parse_config(const std::string& yaml_text, const std::vector<std::string>& overrides = {});

}  // namespace vdf::config
