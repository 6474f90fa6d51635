// `vdf eval --generated DIR --reference DIR|STATS [--reference ...] --prompts FILE --metrics fid,is,fvd,clip
//  [--weights W] [--i3d-weights W] --out DIR`: scores generated clips, writes report.json + report.html.
#include <sstream>

#include "eval/evaluate.h"
#include "framework/config/vdf_config.h"
#include "framework/core/error.h"
#include "tools/vdf/command.h"

namespace {

struct EvalOptions {
  vdf::cli::ConfigArgs config;
  std::string generated, prompts, out = "eval_out", run_dir, metrics, weights, i3d_weights, clip_weights, device,
                                 fid_preprocess, fvd_protocol, stats_cache;
  std::vector<std::string> references;
  int64_t batch_size = 0;
  std::string command_line;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void run(const EvalOptions& o) {
  auto cfg = vdf::config::load_config(o.config.config_path, o.config.overrides).eval;
  if (!o.metrics.empty()) cfg.metrics = split_commas(o.metrics);
  if (!o.weights.empty()) cfg.inception_weights = o.weights;
  if (!o.i3d_weights.empty()) cfg.i3d_weights = o.i3d_weights;
  if (!o.clip_weights.empty()) cfg.clip_weights = o.clip_weights;
  if (!o.device.empty()) cfg.device = o.device;
  if (!o.fid_preprocess.empty()) cfg.fid_preprocess = o.fid_preprocess;
  if (!o.fvd_protocol.empty()) cfg.fvd_protocol = o.fvd_protocol;
  if (!o.stats_cache.empty()) cfg.stats_cache = o.stats_cache;
  if (o.batch_size > 0) cfg.batch_size = o.batch_size;
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
  cmd->add_option("--metrics", o->metrics, "comma list of fid,is,fvd,clip (default: eval.metrics of the config)");
  cmd->add_option("--weights", o->weights, "Inception weights (.safetensors, NVIDIA TorchScript .pt, or 'recipe')");
  cmd->add_option("--i3d-weights", o->i3d_weights, "I3D weights (.safetensors, StyleGAN-V TorchScript .pt, or 'recipe')");
  cmd->add_option("--clip-weights", o->clip_weights, "CLIP weights (.safetensors or 'recipe')");
  cmd->add_option("--out", o->out, "output folder for report.json and report.html");
  cmd->add_option("--run-dir", o->run_dir, "training run folder with metrics.jsonl, plotted in the report");
  cmd->add_option("--device", o->device, "auto | cpu | cuda | cuda:N (default: eval.device)");
  cmd->add_option("--fid-preprocess", o->fid_preprocess, "pytorch-fid | clean (default: eval.fid_preprocess)");
  cmd->add_option("--fvd-protocol", o->fvd_protocol, "stylegan-v | tats | videogpt (default: eval.fvd_protocol)");
  cmd->add_option("--stats-cache", o->stats_cache, "folder where reference statistics are cached and reused");
  cmd->add_option("--batch-size", o->batch_size, "Inception batch size (0 = eval.batch_size)");
  vdf::cli::add_config_args(cmd, o->config);
  cmd->callback([o] {
    std::string c = "vdf eval --generated " + o->generated;
    for (const auto& r : o->references) c += " --reference " + r;
    for (const auto& [flag, v] : std::vector<std::pair<std::string, std::string>>{
             {"--prompts", o->prompts}, {"--metrics", o->metrics}, {"--weights", o->weights},
             {"--i3d-weights", o->i3d_weights}, {"--clip-weights", o->clip_weights}, {"--out", o->out},
             {"--run-dir", o->run_dir}, {"--device", o->device}, {"--fid-preprocess", o->fid_preprocess},
             {"--fvd-protocol", o->fvd_protocol}, {"--stats-cache", o->stats_cache}, {"-c", o->config.config_path}})
      if (!v.empty()) c += " " + flag + " " + v;
    for (const auto& ov : o->config.overrides) c += " " + ov;
    o->command_line = c;
    run(*o);
  });
}

}  // namespace

VDF_REGISTER_COMMAND(eval, setup);
