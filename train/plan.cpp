#include "train/plan.h"

#include <fmt/format.h>

#include <sstream>

#include "framework/core/error.h"

namespace vdf::train {

namespace {

std::string plan_shape_key(const std::vector<int64_t>& cthw) {
  return fmt::format("{}x{}x{}", cthw[1], cthw[2], cthw[3]);
}

}  // namespace

std::vector<PlanRow> plan_table(const std::vector<const models::ModelCost*>& models, const PlanRequest& r) {
  VDF_CHECK(r.budget_bytes > 0, "plan: the per-GPU memory budget must be > 0");
  std::vector<PlanRow> rows;
  for (const auto* m : models) {
    for (const auto& cthw : r.latent_cthw) {
      BucketLoad load;
      load.bucket = plan_shape_key(cthw);
      load.latent_cthw = cthw;
      load.batch = r.batch;
      for (auto strategy : {config::DistStrategy::ddp, config::DistStrategy::zero2, config::DistStrategy::zero3}) {
        PlanRow row;
        row.model = m->name();
        row.parameters = m->parameters();
        row.shape = load.bucket;
        row.tokens = m->tokens(cthw);
        row.train_flops_per_sample = 3.0 * m->forward_flops(cthw, r.text_len);
        row.strategy = strategy;
        for (int64_t sp : r.sequence_parallel) {
          PlanCell cell;
          cell.sequence_parallel = sp;
          cell.valid = sp >= 1 && r.base.world_size % sp == 0 && m->heads() % sp == 0;
          if (cell.valid) {
            PreflightSetup s = r.base;
            s.strategy = strategy;
            s.sequence_parallel = sp;
            // The fewest checkpointed blocks that fit (memory falls monotonically with the count).
            for (int64_t k = 0; k <= m->depth(); ++k) {
              s.checkpointed_blocks = k;
              const PreflightEstimate e = estimate_preflight(*m, {load}, r.text_len, s);
              cell.device_bytes = e.device_bytes;
              cell.comm_bytes = e.comm_bytes;
              cell.flops_per_step = e.worst_bucket().flops_per_step;
              cell.checkpointed_blocks = k;
              if (e.device_bytes <= r.budget_bytes) {
                cell.fits = true;
                break;
              }
            }
          }
          row.cells.push_back(cell);
        }
        rows.push_back(row);
      }
    }
  }
  return rows;
}

std::string plan_markdown(const std::vector<PlanRow>& rows, const PlanRequest& r) {
  constexpr double GiB = 1024.0 * 1024.0 * 1024.0;
  std::ostringstream o;
  o << fmt::format("Per GPU: {} ranks, {:.0f} GiB budget, per-rank batch {}, {} text tokens, {}{}, comm {}. "
                   "Cell: fewest checkpointed blocks that fit (GiB per GPU, GiB sent per GPU and step); "
                   "'no' = does not fit even with every block checkpointed (GiB shown for that). Train FLOPs per sample = "
                   "3x forward; each checkpointed block adds its forward again.\n\n",
                   r.base.world_size, r.budget_bytes / GiB, r.batch, r.text_len,
                   r.base.mixed_precision ? "bf16 autocast over fp32 master weights" : "fp32",
                   r.base.offload ? ", checkpointed inputs offloaded" : "", r.base.comm_bf16 ? "bf16" : "fp32");
  o << "| model | params | latent | tokens | strategy |";
  for (int64_t sp : r.sequence_parallel) o << fmt::format(" SP {} |", sp);
  o << " train TFLOP/sample |\n|---|---|---|---|---|";
  for (size_t i = 0; i < r.sequence_parallel.size(); ++i) o << "---|";
  o << "---|\n";
  for (const auto& row : rows) {
    o << fmt::format("| {} | {:.2f} B | {} | {} | {} |", row.model, row.parameters / 1e9, row.shape, row.tokens,
                     config::enum_name(row.strategy));
    for (const auto& c : row.cells) {
      if (!c.valid) {
        o << " n/a |";
        continue;
      }
      const std::string what = c.fits ? (c.checkpointed_blocks == 0 ? std::string("0") : std::to_string(c.checkpointed_blocks))
                                       : std::string("no");
      o << fmt::format(" {} ({:.1f}, {:.1f}) |", what, c.device_bytes / GiB, c.comm_bytes / GiB);
    }
    o << fmt::format(" {:.1f} |\n", row.train_flops_per_sample / 1e12);
  }
  return o.str();
}

}  // namespace vdf::train
