// Start-of-run agreement between ranks (docs/distributed.md, "Faults"):
//   * check_consistency(): all-gathers a hash of the resolved config text, of the model structure
//     (parameter names, shapes, dtypes) and of the initial parameter values; any rank that differs from
//     rank 0 is an error naming that rank and what differs;
//   * agree_on_string(): rank 0 decides (e.g. the run directory name), every rank gets the same value.
// World size 1: nothing to compare.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "framework/distributed/context.h"

namespace vdf::distributed {

struct RankFingerprint {
  uint64_t config = 0;     // resolved config text
  uint64_t structure = 0;  // names, shapes, dtypes of the parameters
  uint64_t values = 0;     // parameter bytes
};

RankFingerprint fingerprint(const std::string& resolved_config,
                            const std::vector<std::pair<std::string, torch::Tensor>>& named_params);
// Throws vdf::Error on every rank when any rank's fingerprint differs from rank 0's, e.g.
// "ranks disagree at start: rank 1 has a different resolved config than rank 0".
void check_consistency(Context& ctx, const RankFingerprint& mine);
std::string agree_on_string(Context& ctx, const std::string& key, const std::string& rank0_value);

// The contiguous slice of a global batch that rank `rank` of `world` processes: global batch indices
// [rank*b, (rank+1)*b) with b = global/world. global_batch must be divisible by world (validated at
// config time so every rank runs the same number of steps with the same shapes).
std::pair<int64_t, int64_t> batch_slice(int64_t global_batch, int rank, int world);

}  // namespace vdf::distributed
