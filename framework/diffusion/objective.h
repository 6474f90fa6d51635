// Training objectives (rectified flow with velocity target; DDPM with eps or v prediction), the mean
// squared error against the target, timestep sampling and classifier-free-guidance dropout.
// The model is seen only as a callback. Formulas: docs/diffusion.md.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <optional>

#include "framework/config/schema/diffusion.h"
#include "framework/diffusion/conditioning.h"
#include "framework/diffusion/prediction.h"
#include "framework/diffusion/schedule.h"

namespace vdf::diffusion {

// model(x_t [B, C, T, H, W], t [B] float model time, cond) -> prediction shaped like x_t.
using ModelFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const Conditioning&)>;

struct TrainingLossResult {
  torch::Tensor loss;        // scalar float32: mean of per_sample
  torch::Tensor per_sample;  // [B] float32: mean squared error of each sample
  torch::Tensor t;           // [B] float32: the model times used
};

// Data parallel: x0 is rows [offset, offset + B) of a global batch of `global` samples. The objective then
// draws its random numbers for the whole global batch (same generator seed on every rank) and slices, so
// N ranks see exactly the numbers one process with the global batch would: training results do not
// depend on the number of ranks (tests/distributed/test_train_ddp.cpp).
struct BatchSlice {
  int64_t global = 0;  // 0 = x0 is the whole batch
  int64_t offset = 0;
};

class Objective {
 public:
  explicit Objective(const config::DiffusionConfig& cfg);

  // One training loss: draws, in this order and all from `gen` (on gen's device, then moved to x0's):
  // t [B], noise like x0, then the CFG dropout uniforms [B]. `tokens` (video tokens per sample, for
  // auto_shift) defaults to T*H*W of x0.
  // With `slice` set (data parallel), see BatchSlice.
  TrainingLossResult loss(const ModelFn& model, const torch::Tensor& x0, const Conditioning& cond,
                          torch::Generator& gen, int64_t tokens = 0, BatchSlice slice = {}) const;
  // The loss at given model times t [B] and noise (no dropout, nothing random): validation at fixed t.
  TrainingLossResult loss_at(const ModelFn& model, const torch::Tensor& x0, const Conditioning& cond,
                             const torch::Tensor& t, const torch::Tensor& noise) const;

  // Model times [B] for training (flow: logit-normal or uniform, then shifted; ddpm: uniform index / N).
  torch::Tensor sample_timesteps(int64_t batch, int64_t tokens, torch::Generator& gen) const;

  // The condition that CFG dropout substitutes (one row, broadcast); default zeros + all-false mask.
  void set_null_condition(const Conditioning& null_cond) { null_ = null_cond; }

  const NoiseProcess& process() const { return process_; }
  Prediction prediction() const { return prediction_; }
  const config::DiffusionConfig& config() const { return cfg_; }

 private:
  config::DiffusionConfig cfg_;
  NoiseProcess process_;
  Prediction prediction_;
  std::optional<Conditioning> null_;
};

}  // namespace vdf::diffusion
