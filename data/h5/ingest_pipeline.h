// The `vdf ingest` pipeline (docs/ingest.md): manifest -> decode threads (ClipSource) -> batched VAE and
// text-encoder calls -> HDF5 shards -> index.json + report.json.
//
// Determinism and resume: this rank's inputs (every world_size-th manifest row) are cut, in manifest
// order, into shards of `inputs_per_shard` inputs. Shard k's content is a pure function of its inputs:
// samples are numbered in input/clip order, VAE batches are formed in that order per clip shape, caption
// batches in input order. A shard becomes visible only by an atomic rename once complete, and records
// the outcome of each of its inputs. A re-run skips every complete shard (after checking it was made
// with the same config and models) and redoes the others from scratch, so a run killed at any moment and
// re-run ends with exactly the shards of an uninterrupted run.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "data/ingest/stages.h"
#include "data/config/ingest.h"

namespace vdf::data {

struct IngestStages {
  ClipSource* clips = nullptr;
  LatentEncoder* vae = nullptr;
  CaptionEncoder* text = nullptr;
  // Optional near-duplicate filter across inputs: a clip signature (a few 64-bit perceptual hashes,
  // computed on the decode threads) and the Hamming distance under which every hash pair must fall for
  // two clips to be duplicates. Applied by the encoder thread in manifest order (signatures of complete
  // shards are reloaded on resume), so which copy survives never depends on timing.
  std::function<std::vector<uint64_t>(const torch::Tensor& frames_thwc_u8)> signature;
  int duplicate_max_distance = -1;  // < 0: off
};

struct StageTimes {
  double decode_s = 0;       // summed over decode threads
  double vae_s = 0;          // VAE calls (including host<->device copies)
  double text_s = 0;         // text-encoder calls
  double write_s = 0;        // HDF5 writes, fsync and rename
  double wait_decode_s = 0;  // encoder thread idle, waiting for decoded inputs
  double wall_s = 0;
};

struct IngestReport {
  int64_t inputs = 0, accepted = 0, rejected = 0;
  std::map<std::string, int64_t> rejected_by_reason;
  int64_t clips = 0;               // samples in this rank's shards
  int64_t latent_bytes = 0;        // raw bytes of stored latents
  int64_t shards = 0, shards_skipped = 0, shards_written = 0;
  int64_t inputs_processed = 0;    // inputs decoded in this run (the rest came from finished shards)
  int64_t clips_encoded = 0;       // clips encoded in this run
  StageTimes times;
  std::vector<InputOutcome> rejects;  // every rejected input with its reason
  int rank = 0, world_size = 1;

  nlohmann::json to_json() const;
  std::string summary() const;  // a few lines for people
};

// `config_yaml`: the resolved config recorded in every shard; its SHA-256 decides whether finished
// shards in the output folder may be reused. `vdf_version` is stored as an attribute.
// Writes shards, index.json and the report (report.json, or report-r<R>of<W>.json when world_size > 1).
IngestReport run_ingest(const config::IngestConfig& config, const std::string& config_yaml, const IngestStages& stages,
                        const std::string& vdf_version = "");

// Resolves rank/world_size from the config, or env RANK/WORLD_SIZE, SLURM_PROCID/SLURM_NTASKS, or 0/1.
std::pair<int, int> resolve_rank(const config::IngestConfig& config);

}  // namespace vdf::data
