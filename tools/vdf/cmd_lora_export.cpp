// `vdf lora-export --checkpoint DIR --out FILE [--format peft|comfyui|merged] [--weights model|ema]`: writes
// the LoRA adapters of a Wan LoRA training checkpoint (model.lora.rank > 0) as a file diffusers
// (load_lora_weights) or ComfyUI loads, or (merged) the base of model.init_from with the adapters folded in,
// as one safetensors file with diffusers names. docs/training.md "LoRA".
#include <torch/torch.h>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/wan/lora.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tools/vdf/command.h"
#include "train/checkpoint.h"
#include "train/wan_task.h"

namespace {

namespace fs = std::filesystem;

struct LoraExportOptions {
  std::string checkpoint, out, format = "peft", weights = "model";
};

void run(const LoraExportOptions& o) {
  using namespace vdf;
  fs::path dir = o.checkpoint;
  if (!fs::exists(dir / "state.json")) {
    auto latest = train::find_latest_checkpoint(dir / "checkpoints");
    VDF_CHECK(latest, "{} is neither a checkpoint directory nor a run directory with checkpoints", o.checkpoint);
    dir = *latest;
  }
  VDF_CHECK(o.weights == "model" || o.weights == "ema", "--weights {}: expected model or ema", o.weights);
  const config::VdfConfig cfg = config::load_config((dir / "config.yaml").string());
  VDF_CHECK(cfg.model.family == config::ModelFamily::wan && cfg.model.lora.rank > 0,
            "{}: not a LoRA run (model.family {}, model.lora.rank {})", dir.string(),
            config::enum_name(cfg.model.family), cfg.model.lora.rank);
  const fs::path weights = dir / (o.weights + ".safetensors");
  if (fs::path(o.out).has_parent_path()) fs::create_directories(fs::path(o.out).parent_path());
  if (o.format == "merged") {
    // The base exactly as training made it (model.init_from, else the seeded random init) + the adapters.
    torch::manual_seed(cfg.run.seed);
    train::WanTask task(cfg.model, cfg.diffusion);
    tensor_io::LoadOptions opt;
    opt.source = weights.string();
    opt.what = "LoRA checkpoint";
    tensor_io::load_weights(task.module(), tensor_io::load_weights_file(weights), opt);
    task.lora()->merge();
    tensor_io::save_safetensors(o.out, tensor_io::state_dict_copy(*task.transformer()),
                                {{"format", "pt"}, {"vdf_checkpoint", dir.string()}, {"vdf_lora_merged", "1"}});
    VDF_INFO("wrote the base with the LoRA of {} merged (diffusers names) to {}", weights.string(), o.out);
    return;
  }
  const auto tensors = wan::lora_file_tensors(tensor_io::load_weights_file(weights), cfg.model.lora.alpha,
                                              wan::parse_lora_format(o.format));
  tensor_io::save_safetensors(o.out, tensors, {{"format", "pt"}, {"vdf_checkpoint", dir.string()}});
  VDF_INFO("wrote {} LoRA tensors ({} layout, rank {}, alpha {}) from {} to {}", tensors.size(), o.format,
           cfg.model.lora.rank, cfg.model.lora.alpha, weights.string(), o.out);
}

void setup(CLI::App& app) {
  auto o = std::make_shared<LoraExportOptions>();
  auto* cmd = app.add_subcommand("lora-export", "Export the LoRA of a Wan training checkpoint for diffusers or ComfyUI");
  cmd->add_option("--checkpoint", o->checkpoint, "checkpoint directory, or a run directory (its latest checkpoint)")
      ->required();
  cmd->add_option("--out", o->out, "output .safetensors file")->required();
  cmd->add_option("--format", o->format, "peft (diffusers/PEFT keys) | comfyui (lora_down/lora_up/alpha) | merged (base + LoRA, diffusers names)")
      ->capture_default_str();
  cmd->add_option("--weights", o->weights, "model (the trained adapters) | ema")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace

VDF_REGISTER_COMMAND(lora_export, setup);
