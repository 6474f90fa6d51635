// `vdf eval --generated DIR --reference DIR|STATS [--reference ...] --prompts FILE --metrics fid,is,fvd,clip
//  [--weights W] [--i3d-weights W] --out DIR [--config FILE] [eval.key=value ...]`: scores generated clips,
// writes report.json + report.html. --metrics, --weights, --device, ... are shorthands for eval.* overrides.

#include "eval/evaluate.h"
#include "app/config.h"
#include "framework/core/error.h"
#include "tools/vdf/command.h"

namespace {

struct EvalOptions {
  vdf::cli::ConfigArgs config;  // --config, eval.* overrides and their shorthands
  std::string generated, prompts, out = "eval_out", run_dir;
  std::vector<std::string> references;
  std::string command_line;
};

void run(const EvalOptions& o) {
  auto cfg = vdf::config::load_config(o.config.config_path, o.config.all_overrides()).eval;
  vdf::eval::EvalRequest req;
  req.generated = o.generated;
  for (const auto& r : o.references) req.references.push_back(r);
  req.prompts = o.prompts;
  req.out = o.out;
  req.run_dir = o.run_dir;
  req.command_line = o.command_line;
  req.config = cfg;
  auto outcome = vdf::eval::run_eval(req);
  for (auto it = outcome.report["metrics"].begin(); it != outcome.report["metrics"].end(); ++it)
    std::printf("%s: %.6f\n", it.key().c_str(), it.value()["value"].get<double>());
  for (const auto& w : outcome.report["warnings"]) std::printf("WARNING: %s\n", w.get<std::string>().c_str());
  std::printf("report: %s\n", outcome.html_path.string().c_str());
}

void setup(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "Score generated clips (FID, IS, FVD, CLIP score); write report.json + report.html");
  cmd->add_option("--generated", o->generated, "folder of generated clips (.mp4/.mkv/.webm/.avi/.mov/.safetensors) or images")
      ->required();
  cmd->add_option("--reference", o->references,
                  "folder of reference clips, or a statistics .safetensors file (repeatable; stats are matched by metric)");
  cmd->add_option("--prompts", o->prompts, "prompts: .txt (one per line, sorted clip order) or .jsonl {video, prompt}");
  cmd->add_option("--out", o->out, "output folder for report.json and report.html")->capture_default_str();
  cmd->add_option("--run-dir", o->run_dir, "training run folder: its metrics.jsonl is plotted in the report, the metrics go to its TensorBoard (tensorboard/eval/) and report.json records it (vdf compare)");
  vdf::cli::add_config_args(cmd, o->config);
  auto& c = o->config;
  vdf::cli::add_override_option(cmd, "--metrics", c, "eval.metrics", "comma list of fid,is,fvd,clip", /*comma_list=*/true);
  vdf::cli::add_override_option(cmd, "--weights", c, "eval.inception_weights",
                                "Inception weights (.safetensors, NVIDIA TorchScript .pt, or 'recipe')");
  vdf::cli::add_override_option(cmd, "--i3d-weights", c, "eval.i3d_weights",
                                "I3D weights (.safetensors, StyleGAN-V TorchScript .pt, or 'recipe')");
  vdf::cli::add_override_option(cmd, "--clip-weights", c, "eval.clip_weights", "CLIP weights (.safetensors or 'recipe')");
  vdf::cli::add_override_option(cmd, "--device", c, "eval.device", "auto | cpu | cuda | cuda:N");
  vdf::cli::add_override_option(cmd, "--fid-preprocess", c, "eval.fid_preprocess", "pytorch-fid | clean");
  vdf::cli::add_override_option(cmd, "--fvd-protocol", c, "eval.fvd_protocol", "stylegan-v | tats | videogpt");
  vdf::cli::add_override_option(cmd, "--stats-cache", c, "eval.stats_cache",
                                "folder where reference statistics are cached and reused");
  vdf::cli::add_override_option(cmd, "--batch-size", c, "eval.batch_size", "Inception batch size");
  cmd->callback([o] {
    std::string c = "vdf eval --generated " + vdf::cli::shell_quote(o->generated);
    for (const auto& r : o->references) c += " --reference " + vdf::cli::shell_quote(r);
    for (const auto& [flag, v] : std::vector<std::pair<std::string, std::string>>{
             {"--prompts", o->prompts}, {"--out", o->out}, {"--run-dir", o->run_dir}})
      if (!v.empty()) c += " " + flag + " " + vdf::cli::shell_quote(v);
    o->command_line = o->config.command_line(c);
    run(*o);
  });
}

}  // namespace

VDF_REGISTER_COMMAND(eval, setup);
