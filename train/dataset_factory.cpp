#include "train/dataset_factory.h"

#include "data/synthetic_dataset.h"
#include "framework/core/error.h"

namespace vdf::train {

std::shared_ptr<const data::LatentDataset> make_dataset(const config::VdfConfig& cfg) {
  if (cfg.data.source == "synthetic") return std::make_shared<data::SyntheticLatentDataset>(cfg.data.synthetic);
  // data.source == "shards": the integrator connects the HDF5 shard reader of data/ here (it implements
  // data::LatentDataset, see data/dataset.h).
  fail("data.source=shards ('{}'): this build has no latent shard reader connected to the trainer yet; use "
       "data.source=synthetic",
       cfg.data.shards);
}

}  // namespace vdf::train
