// Data parallel for `vdf train`: the rendezvous from the launch environment (vdf launch, SLURM,
// torchrun-style variables; a single process when WORLD_SIZE is unset or 1) and the trainer's DistHooks
// on top of it. The trainer itself sees data parallelism only through DistHooks (train/dist_hooks.h).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "framework/config/schema/distributed.h"
#include "framework/distributed/data_parallel.h"
#include "train/dist_hooks.h"
#include "train/dit_task.h"

namespace vdf::train {

// Joins the process group of the launch environment (no-op for one process) and sets the log prefix to
// this rank. context().device() is cuda:<LOCAL_RANK> for one GPU per local rank.
std::shared_ptr<distributed::DataParallel> start_data_parallel(const config::DistributedConfig& cfg,
                                                               const std::string& device);

// Rank 0 decides the run name (the same by construction today; kept agreed through the store so a name
// derived from per-process state, e.g. a timestamp, can never split a job over two run directories).
std::string agree_on_run_name(distributed::DataParallel& dp, const std::string& name);

// The trainer's hooks on `dp`: the first broadcast_parameters call runs the consistency check of
// `resolved_yaml` and the initial weights across ranks, broadcasts rank 0's parameters and installs the
// gradient hooks; later calls (after a resume loaded weights on every rank) only re-broadcast. A single
// process gets the defaults (rank 0 of 1, no-op hooks).
DistHooks data_parallel_hooks(std::shared_ptr<distributed::DataParallel> dp, const std::string& resolved_yaml);

// distributed.sequence_parallel > 1: each sample's tokens split over the ranks (Ulysses attention; this
// round the group is the whole job). Errors before step 1 when the world size, model.heads or a bucket's
// token count does not fit. No-op for 1.
// Model families other than the DiT have no sequence-parallel attention yet: a config asking for it is refused.
void attach_sequence_parallel(distributed::DataParallel& dp, TrainTask& task, const data::LatentDataset& dataset);

}  // namespace vdf::train
