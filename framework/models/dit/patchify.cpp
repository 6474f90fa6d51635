#include "framework/models/dit/patchify.h"

#include "framework/core/error.h"

namespace vdf::dit {

torch::Tensor pad_time(const torch::Tensor& x, int64_t pt) {
  const int64_t T = x.size(2);
  const int64_t rem = T % pt;
  if (rem == 0) return x;
  auto last = x.narrow(2, T - 1, 1);
  std::vector<int64_t> rep{1, 1, pt - rem, 1, 1};
  return torch::cat({x, last.repeat(rep)}, 2);
}

Grid patch_grid(int64_t T, int64_t H, int64_t W, const Patch& p) {
  VDF_CHECK(T % p[0] == 0, "DiT: {} frames are not divisible by the temporal patch {}", T, p[0]);
  VDF_CHECK(H % p[1] == 0 && W % p[2] == 0,
            "DiT: latent size {}x{} is not divisible by the spatial patch {}x{}", H, W, p[1], p[2]);
  return {T / p[0], H / p[1], W / p[2]};
}

torch::Tensor patchify(const torch::Tensor& x, const Patch& p) {
  VDF_CHECK(x.dim() == 5, "patchify: expected [B, C, T, H, W], got {} dims", x.dim());
  const int64_t B = x.size(0), C = x.size(1);
  const Grid g = patch_grid(x.size(2), x.size(3), x.size(4), p);
  // [B, C, T', pt, H', ph, W', pw] -> [B, T', H', W', C, pt, ph, pw]
  auto v = x.reshape({B, C, g[0], p[0], g[1], p[1], g[2], p[2]}).permute({0, 2, 4, 6, 1, 3, 5, 7});
  return v.reshape({B, g[0] * g[1] * g[2], C * p[0] * p[1] * p[2]});
}

torch::Tensor unpatchify(const torch::Tensor& tokens, const Grid& g, const Patch& p, int64_t channels) {
  const int64_t B = tokens.size(0);
  VDF_CHECK(tokens.dim() == 3 && tokens.size(1) == g[0] * g[1] * g[2] &&
                tokens.size(2) == channels * p[0] * p[1] * p[2],
            "unpatchify: tokens of shape {} do not match grid {}x{}x{}, patch {}x{}x{}, {} channels",
            c10::str(tokens.sizes()), g[0], g[1], g[2], p[0], p[1], p[2], channels);
  auto v = tokens.reshape({B, g[0], g[1], g[2], channels, p[0], p[1], p[2]}).permute({0, 4, 1, 5, 2, 6, 3, 7});
  return v.reshape({B, channels, g[0] * p[0], g[1] * p[1], g[2] * p[2]});
}

}  // namespace vdf::dit
