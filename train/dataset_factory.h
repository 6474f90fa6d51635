// Builds the training dataset of the `data` section: the synthetic in-memory set, or the latent shards
// written by `vdf ingest` (through the data/ shard reader, which implements data::LatentDataset).
#pragma once
#include <memory>

#include "data/dataset.h"
#include "data/config/data.h"

namespace vdf::train {

std::shared_ptr<const data::LatentDataset> make_dataset(const config::DataConfig& dc);

}  // namespace vdf::train
