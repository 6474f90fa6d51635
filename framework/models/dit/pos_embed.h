// Positional encodings of the patch grid (t, h, w), token order as in patchify.h.
//
// sincos3d: fixed, added to the tokens after the patch embedding. 2D spatial sin-cos as in MAE/DiT
//   (first D/2 channels encode h, last D/2 encode w) plus a 1D temporal sin-cos over all D channels
//   (Latte / Open-Sora). 1D sin-cos of width d at position p: [sin(p w_0..w_{d/2-1}), cos(p w_0..)],
//   w_i = 10000^(-i/(d/2)).
// rope3d: rotary embedding on queries and keys; the head dim is split into [dt, dh, dw] (each even);
//   axis a rotates its channel pairs (2i, 2i+1) (interleaved, as in HunyuanVideo) by pos_a * theta^(-2i/d_a).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "framework/models/dit/patchify.h"

namespace vdf::dit {

// 1D sin-cos [P, d] for positions 0..P-1 (d even). float64.
torch::Tensor sincos_1d(int64_t d, const torch::Tensor& positions);
// [N, D] float32 for grid (T', H', W'); D % 4 == 0.
torch::Tensor sincos_3d(int64_t dim, const Grid& grid);

struct Rope {
  torch::Tensor cos, sin;  // [N, head_dim] float32, each angle repeated for its pair (2i, 2i+1)
};
// RoPE tables for grid (T', H', W') with the head dim split `axes` = [dt, dh, dw].
Rope rope_3d(const std::vector<int64_t>& axes, const Grid& grid, double theta);
// Rotates x [..., N, head_dim] by the tables (broadcast over leading dims); computed in float32 and
// returned in x's dtype.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace vdf::dit
