#include "train/dataset_factory.h"

#include <filesystem>

#include "data/synthetic_dataset.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#ifdef VDF_WITH_HDF5
#include "data/h5/shard_latent_dataset.h"
#endif

namespace vdf::train {

std::shared_ptr<const data::LatentDataset> make_dataset(const config::DataConfig& dc) {
  switch (dc.source) {
    case config::DataSource::synthetic: return std::make_shared<data::SyntheticLatentDataset>(dc.synthetic);
    case config::DataSource::shards: break;
  }
  const std::string& shards = dc.shards;
  VDF_CHECK(!shards.empty(), "data.source=shards but data.shards (the folder written by vdf ingest) is empty");
  VDF_CHECK(std::filesystem::exists(shards), "data.shards='{}': no such file or folder (run vdf ingest first)",
            shards);
#ifdef VDF_WITH_HDF5
  auto ds = std::make_shared<data::ShardLatentDataset>(shards);
  VDF_CHECK(ds->size() > 0, "data.shards='{}' holds no samples", shards);
  const auto& h = ds->shards().header();
  VDF_INFO("shards: VAE {} ({} channels, scale {}), text encoder {} (L={}, D={})", h.vae.name, h.vae.latent_channels,
           h.vae.scale, h.text.name, h.text.max_length, h.text.dim);
  return ds;
#else
  fail("data.source=shards ('{}'): this vdf was built without HDF5 (VDF_WITH_HDF5=OFF); install libhdf5-dev and "
       "rebuild, or use data.source=synthetic",
       shards);
#endif
}

}  // namespace vdf::train
