// Writes the synthetic shapes dataset to disk as real MP4 files (through vdf's own writer) with a
// JSONL manifest, so it goes through exactly the same ingest path as real video.
#pragma once
#include <string>
#include <vector>

#include "data/config/synthetic.h"

namespace vdf::data::synthetic {

struct WrittenDataset {
  std::string manifest;            // <out_dir>/manifest.jsonl (training clips)
  std::string train_prompts;       // <out_dir>/train_prompts.txt (one caption per line)
  std::string heldout_prompts;     // <out_dir>/heldout_prompts.txt
  int clips = 0;
  std::vector<std::string> heldout;
};

// Idempotent: clips that already exist are kept (they are written atomically), so an interrupted
// run can simply be repeated.
WrittenDataset write_synthetic_dataset(const config::SyntheticConfig& cfg);

}  // namespace vdf::data::synthetic
