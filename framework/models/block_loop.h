// A model whose forward runs a list of transformer blocks, and lets one observer watch that loop.
// Sharded data parallel (ZeRO-3, framework/distributed/sharded.h) uses it to all-gather a block's
// parameters just before the block runs and free them just after (and, through gradient hooks on the
// block's input and output, to gather them again for its backward). The model only reports the loop;
// it knows nothing of ranks or collectives.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace vdf::models {

class BlockObserver {
 public:
  virtual ~BlockObserver() = default;
  // `input` / `output`: the hidden states entering / leaving block `index` (grad-enabled during training).
  virtual void before_block(int64_t index, const torch::Tensor& input) = 0;
  virtual void after_block(int64_t index, const torch::Tensor& output) = 0;
};

class BlockLoop {
 public:
  virtual ~BlockLoop() = default;
  virtual int64_t num_blocks() const = 0;
  // Submodule path of block `index` relative to the module implementing this ("blocks.3").
  virtual std::string block_path(int64_t index) const = 0;
  void set_block_observer(std::shared_ptr<BlockObserver> observer) { block_observer_ = std::move(observer); }

 protected:
  BlockObserver* block_observer() const { return block_observer_.get(); }

 private:
  std::shared_ptr<BlockObserver> block_observer_;
};

}  // namespace vdf::models
