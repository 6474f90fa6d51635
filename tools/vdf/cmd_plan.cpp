// `vdf plan [--config FILE] --shapes TxHxW,... [--models config,dit-xl,wan2.1-14b] [--world-size 8]
// [--device-gb 80] [--batch 1] [--text-len 512]`: the planning table of docs/distributed.md
// as a markdown table — per model, latent shape and strategy, the fewest checkpointed blocks that fit each sequence-parallel
// degree, per-GPU memory and communication per step (train/plan.h). Models: `config` (the DiT of the
// config), `dit-<preset>` (the config's DiT with that size preset) or a Wan 2.1 shape (wan2.1-1.3b,
// wan2.1-14b). Precision, comm dtype, offload and EMA come from the config (train.precision auto = bf16:
// planning is for GPUs).
#include <fmt/format.h>

#include <memory>

#include "app/config.h"
#include "data/dataset.h"
#include "framework/core/error.h"
#include "framework/models/cost/dit_cost.h"
#include "framework/models/cost/wan_cost.h"
#include "tools/vdf/command.h"
#include "train/plan.h"

namespace {

struct PlanOptions {
  vdf::cli::ConfigArgs config;
  std::vector<std::string> models{"config"};
  std::vector<std::string> shapes;
  int world_size = 8;
  double device_gb = 80;
  int64_t batch = 1;
  int64_t text_len = 512;
};

std::unique_ptr<vdf::models::ModelCost> plan_model(const vdf::config::VdfConfig& cfg, const std::string& name) {
  using namespace vdf;
  if (name == "config") return models::dit_cost(cfg.model);
  if (name.rfind("dit-", 0) == 0) {
    config::DitConfig m = cfg.model;
    m.preset = name.substr(4);
    m.hidden = m.depth = m.heads = 0;
    m.rope_axes.clear();
    m.validate(config::Check("model"));
    return models::dit_cost(m);
  }
  return models::wan_cost(models::wan_shape(name));
}

void run(const PlanOptions& o) {
  using namespace vdf;
  const config::VdfConfig cfg = config::load_config(o.config.config_path, o.config.all_overrides());
  VDF_CHECK(!o.shapes.empty(), "plan: give the latent shapes with --shapes TxHxW[,TxHxW...]");
  std::vector<std::unique_ptr<models::ModelCost>> owned;
  std::vector<const models::ModelCost*> list;
  for (const auto& name : o.models) owned.push_back(plan_model(cfg, name)), list.push_back(owned.back().get());

  train::PlanRequest r;
  r.batch = o.batch;
  r.text_len = o.text_len;
  r.budget_bytes = o.device_gb * 1024.0 * 1024.0 * 1024.0;
  r.base = train::preflight_setup(cfg.model, cfg.distributed, cfg.train, o.world_size, torch::Device(torch::kCUDA));
  for (const auto& key : o.shapes) {
    const auto thw = data::parse_bucket_key(key);
    r.latent_cthw.push_back({cfg.model.in_channels, thw[0], thw[1], thw[2]});
  }
  // The full per-component report of one configuration is what `vdf train --dry-run` prints.
  fmt::print("{}", train::plan_markdown(train::plan_table(list, r), r));
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand("plan", "Per-GPU memory, strategy and communication for models x shapes x strategies");
  vdf::cli::add_config_args(cmd, opts->config, /*config_required=*/false);
  cmd->add_option("--models", opts->models, "config | dit-<preset> | wan2.1-1.3b | wan2.1-14b (comma list)")
      ->delimiter(',');
  cmd->add_option("--shapes", opts->shapes, "latent shapes TxHxW (comma list), e.g. 21x90x160 = 81 frames of 720p")
      ->delimiter(',')
      ->required();
  cmd->add_option("--world-size", opts->world_size, "GPUs")->check(CLI::PositiveNumber);
  cmd->add_option("--device-gb", opts->device_gb, "memory per GPU in GiB")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", opts->batch, "per-rank (per sequence-parallel group) batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--text-len", opts->text_len, "text tokens per sample")->check(CLI::PositiveNumber);
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(plan, setup);
