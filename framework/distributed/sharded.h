// Sharded data parallel (ZeRO-2 and ZeRO-3 / FSDP style) on c10d collectives.
//
// Parameters are grouped into units: one per transformer block of a models::BlockLoop found in the model
// ("blocks.3.*"), plus one root unit for everything else (embedders, final layer). Each unit owns
//   full    a flat buffer (padded to a multiple of the world size) that the module's parameters are views
//           of (Tensor::set_data), so autograd and the model code see ordinary parameters;
//   master  this rank's contiguous 1/world_size slice of that buffer, fp32: what the optimizer updates;
//   grad    this rank's slice of the averaged gradient, filled by a reduce-scatter after backward.
// A rank's optimizer sees its master slice cut at parameter boundaries into pieces named
// "<param>@<begin>:<end>" (elements of the flattened parameter), so AdamW runs unchanged on fewer
// elements and its checkpoint tensors say exactly which part of which parameter they hold (resharding on
// load needs nothing else; see piece_name / parse_piece_name).
//
// zero2: parameters stay gathered (replicated); after the optimizer step every unit is all-gathered from
//        the updated master slices.
// zero3: block units are freed (their storage resized to 0 bytes) whenever not in use: before_block
//        gathers unit i, after_block frees it and hooks the block's output so that backward gathers it
//        again, and a hook on the block's input frees it once the block's backward is done. Saved
//        activations refer to the same storage, so they see the re-gathered values (FSDP's technique).
//        The root unit stays gathered. gather_all() / release() bracket whole-model reads (EMA update,
//        checkpoint, validation), during which block gathers are no-ops.
// comm_dtype bfloat16: gradients are reduce-scattered in bf16, and zero3's per-block gathers for forward
// and backward all-gather parameters in bf16 (the blocks compute with bf16-rounded copies of the fp32
// masters, as FSDP's mixed precision does). Whole-model gathers (after the optimizer step: EMA update,
// checkpoints; zero2's replicated parameters) stay exact, so checkpoints hold the fp32 masters.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/schema/distributed.h"
#include "framework/distributed/context.h"

namespace vdf::distributed {

// "<name>@<begin>:<end>": elements [begin, end) of the flattened parameter <name>.
std::string piece_name(const std::string& param, int64_t begin, int64_t end);
// Splits a piece name; false (outputs untouched) for a plain parameter name.
bool parse_piece_name(const std::string& piece, std::string* param, int64_t* begin, int64_t* end);

struct ShardPiece {
  std::string name;      // piece_name(param, begin, end)
  std::string param;     // parameter name in the module
  int64_t begin = 0, end = 0;
  torch::Tensor master;  // fp32 1-D view of the rank's master slice; .grad() set after reduce-scatter
};

class ShardedDataParallel {
 public:
  // Builds the units of `model`'s trainable parameters (registration order) and turns the parameters into
  // views of the units' flat buffers. Nothing is freed or communicated yet.
  ShardedDataParallel(std::shared_ptr<Context> ctx, torch::nn::Module& model, config::DistStrategy strategy,
                      config::CommDtype comm_dtype);
  ~ShardedDataParallel();
  ShardedDataParallel(const ShardedDataParallel&) = delete;
  ShardedDataParallel& operator=(const ShardedDataParallel&) = delete;

  // Rank 0's parameters and `buffers` to every rank, master slices taken from them; zero3 then frees the
  // block units. Call after weights are loaded (and again after any later load of module weights).
  void broadcast_parameters(const std::vector<torch::Tensor>& buffers);
  // After loss.backward(): every unit's gradient reduce-scattered (averaged) into the pieces' .grad();
  // the module parameters' full gradients are dropped.
  void after_backward();
  // Global L2 norm from this rank's local gradient norm (sqrt of the sum of squares over ranks).
  double combine_grad_norm(double local_norm);
  // After the optimizer updated the master slices: the parameters all-gathered from them (every unit,
  // so what follows — EMA update, checkpoint — reads full weights; zero3 frees them in release()).
  void after_optimizer_step();
  // zero3: gathers every unit and keeps it until release(); zero2: no-op.
  void gather_all();
  void release();

  // This rank's optimizer pieces (in parameter registration order).
  const std::vector<ShardPiece>& pieces() const { return pieces_; }
  config::DistStrategy strategy() const { return strategy_; }
  int64_t unit_count() const;
  // Elements of the flat buffers this rank holds right now (gathered units in full, others' masters):
  // shows zero3's freeing in tests.
  int64_t resident_parameter_elements() const;

  struct Unit;
  // BlockObserver callbacks (public for the observer adapter in sharded.cpp).
  void on_before_block(int64_t index, const torch::Tensor& input);
  void on_after_block(int64_t index, const torch::Tensor& output);

 private:
  // exact: in the parameters' own dtype (whole-model reads: EMA update, checkpoint, zero2's update);
  // otherwise in comm_dtype (zero3's per-block gathers for compute).
  void gather_unit(Unit& u, bool exact);
  void free_unit(Unit& u);

  std::shared_ptr<Context> ctx_;
  config::DistStrategy strategy_;
  config::CommDtype comm_dtype_;
  std::vector<std::unique_ptr<Unit>> units_;  // root unit first, then block 0, 1, ...
  std::vector<Unit*> block_unit_;             // block index -> unit (nullptr if the block has no params)
  std::vector<ShardPiece> pieces_;
  std::vector<std::pair<Unit*, int64_t>> piece_slot_;  // piece -> (unit, offset in the unit's slice)
  std::function<void()> detach_observer_;              // the model may outlive this object
  int64_t backward_count_ = 0;
  bool pinned_ = true;  // all units gathered and kept (until the first broadcast, and gather_all..release)
};

}  // namespace vdf::distributed
