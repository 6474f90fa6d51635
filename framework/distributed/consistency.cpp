#include "framework/distributed/consistency.h"

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace vdf::distributed {

RankFingerprint fingerprint(const std::string& resolved_config,
                            const std::vector<std::pair<std::string, torch::Tensor>>& named_params) {
  RankFingerprint f;
  f.config = fnv1a64(resolved_config);
  std::string structure;
  uint64_t values = 1469598103934665603ull;
  for (const auto& [name, t] : named_params) {
    structure += fmt::format("{}:{}:{};", name, fmt::join(t.sizes(), "x"), c10::toString(t.scalar_type()));
    auto c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t h = fnv1a64(std::string_view(static_cast<const char*>(c.data_ptr()), c.nbytes()));
    values = (values ^ h) * 1099511628211ull;
  }
  f.structure = fnv1a64(structure);
  f.values = values;
  return f;
}

void check_consistency(Context& ctx, const RankFingerprint& mine) {
  if (!ctx.distributed()) return;
  auto t = torch::tensor({static_cast<int64_t>(mine.config), static_cast<int64_t>(mine.structure),
                          static_cast<int64_t>(mine.values)},
                         torch::TensorOptions().dtype(torch::kInt64))
               .to(ctx.device());
  auto all = ctx.all_gather(t);
  std::vector<std::string> problems;
  const char* what[3] = {"resolved config", "model structure (parameter names/shapes)", "initial weights"};
  auto ref = all[0].cpu();
  for (int r = 1; r < ctx.world_size(); ++r) {
    auto other = all[r].cpu();
    for (int k = 0; k < 3; ++k)
      if (other[k].item<int64_t>() != ref[k].item<int64_t>())
        problems.push_back(fmt::format("rank {} has a different {} than rank 0", r, what[k]));
  }
  if (!problems.empty())
    fail("ranks disagree at start: {} (every rank must run the same config and model; check that all "
         "nodes run the same vdf build and config file)",
         fmt::join(problems, "; "));
}

std::string agree_on_string(Context& ctx, const std::string& key, const std::string& rank0_value) {
  return ctx.broadcast_string(key, rank0_value, 0);
}

std::pair<int64_t, int64_t> batch_slice(int64_t global_batch, int rank, int world) {
  VDF_CHECK(world > 0 && rank >= 0 && rank < world, "batch_slice: rank {} of world {}", rank, world);
  VDF_CHECK(global_batch % world == 0, "global batch {} is not divisible by the world size {}", global_batch, world);
  const int64_t b = global_batch / world;
  return {rank * b, (rank + 1) * b};
}

}  // namespace vdf::distributed
