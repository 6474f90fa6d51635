// 3D patchify / unpatchify of video latents [B, C, T, H, W] <-> tokens [B, N, C*pt*ph*pw].
// Token order is (t, h, w) row-major over the patch grid; the feature order inside a token is
// (c, pt, ph, pw), the flattening order of a Conv3d weight [D, C, pt, ph, pw], so x_embedder.proj.weight
// reshaped to [D, C, pt, ph, pw] is exactly the equivalent Conv3d patch embedding.
//
// Time not divisible by pt (images are 1-frame clips): the clip is padded at the end by repeating its
// last frame up to a multiple of pt (an image becomes a static pt-frame clip) and the model's output is
// cropped back to the input length. See docs/dit.md "Images".
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace vdf::dit {

using Patch = std::array<int64_t, 3>;  // pt, ph, pw
using Grid = std::array<int64_t, 3>;   // T', H', W' (patches along each axis)

// Repeats the last frame so T becomes a multiple of pt (no-op when it already is).
torch::Tensor pad_time(const torch::Tensor& x, int64_t pt);
// The patch grid of a (padded) latent shape; throws vdf::Error when H or W is not divisible.
Grid patch_grid(int64_t T, int64_t H, int64_t W, const Patch& p);
// x [B, C, T, H, W] with T % pt == 0, H % ph == 0, W % pw == 0 -> [B, N, C*pt*ph*pw].
torch::Tensor patchify(const torch::Tensor& x, const Patch& p);
// Inverse of patchify: tokens [B, N, C*pt*ph*pw] -> [B, C, T'*pt, H'*ph, W'*pw].
torch::Tensor unpatchify(const torch::Tensor& tokens, const Grid& grid, const Patch& p, int64_t channels);

}  // namespace vdf::dit
