// `text_encoder.kind: umt5` through `vdf ingest` and `vdf train`: a tiny random UMT5 in the diffusers layout
// (written here, no Python: random weights under transformers' names + config.json + the real T5
// spiece.model), one shared video encoded with TAEF2. The shards carry the encoder's identity and its
// Wan-convention embeddings (zero past the prompt); training samples with the same encoder, and refuses
// one with other conventions.
#if defined(VDF_WITH_HDF5) && defined(VDF_WITH_VIDEO)
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "data/h5/shard_reader.h"
#include "framework/core/atomic_file.h"
#include "framework/core/hash.h"
#include "framework/models/text/t5_model.h"
#include "framework/models/text/t5_text_encoder.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"

using namespace vdf;
using vdf::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A diffusers-layout folder with a random d_model-32 UMT5 (seeded: the same bytes every run).
void write_tiny_umt5_folder(const fs::path& root) {
  text::T5Config c;
  c.model_type = "umt5";
  c.vocab_size = 32128;
  c.d_model = 32;
  c.d_kv = 8;
  c.d_ff = 64;
  c.num_layers = 2;
  c.num_heads = 4;
  torch::manual_seed(7);
  text::T5Encoder model(c);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) {
      const bool norm = p.key().find("layer_norm") != std::string::npos;
      p.value().normal_(norm ? 1.0 : 0.0, norm ? 0.1 : 0.5);
    }
  }
  fs::create_directories(root / "text_encoder");
  fs::create_directories(root / "tokenizer");
  tensor_io::save_safetensors(root / "text_encoder/model.safetensors", tensor_io::state_dict_copy(*model));
  nlohmann::json cfg = {{"architectures", {"UMT5EncoderModel"}}, {"model_type", "umt5"}, {"vocab_size", c.vocab_size},
                        {"d_model", c.d_model}, {"d_kv", c.d_kv}, {"d_ff", c.d_ff}, {"num_layers", c.num_layers},
                        {"num_heads", c.num_heads}, {"feed_forward_proj", "gated-gelu"},
                        {"relative_attention_num_buckets", 32}, {"relative_attention_max_distance", 128},
                        {"layer_norm_epsilon", 1e-6}};
  write_file_atomic(root / "text_encoder/config.json", cfg.dump(2));
  write_file_atomic(root / "model_index.json",
                    R"({"_class_name": "WanPipeline", "text_encoder": ["transformers", "UMT5EncoderModel"]})");
  fs::copy_file(vdf::testing::shared("assets/tokenizers/t5_spiece.model"), root / "tokenizer/spiece.model");
}

}  // namespace

TEST_CASE("ingest + train with text_encoder.kind umt5 (tiny random folder)", "[e2e][ingest][t5]") {
  if (!vdf::testing::require_shared({"assets/videos/h265_video.mp4", "assets/vae/taef2_encoder.pth",
                                     "assets/vae/taef2_decoder.pth", "assets/tokenizers/t5_spiece.model"}))
    return;
  TempDir dir("vdf-t5-ingest");
  write_tiny_umt5_folder(dir / "umt5");
  const std::string caption = "a slow pan over &amp; a   lake";
  write_file_atomic(dir / "manifest.csv", fmt::format("id,path,caption\nv,{},\"{}\"\n",
                                                      vdf::testing::shared("assets/videos/h265_video.mp4").string(),
                                                      caption));
  const std::string text_cfg = fmt::format("{{kind: umt5, device: cpu, umt5: {{path: {}, max_length: 24}}}}",
                                           (dir / "umt5").string());
  write_file_atomic(dir / "ingest.yaml", fmt::format(R"(ingest:
  manifest: {}
  output: {}
  batch_size: 2
  threads: 1
  progress: false
video: {{fps: 4, width: 64, height: 64, clip_frames: 4, clip_stride: 8, max_clips_per_video: 1}}
vae: {{kind: taef2, device: cpu}}
text_encoder: {}
)",
                                                     (dir / "manifest.csv").string(), (dir / "out").string(), text_cfg));
  auto r = vdf::testing::run_command(vdf::testing::vdf_exe() + " ingest --config " + (dir / "ingest.yaml").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  data::ShardDataset ds(dir / "out");
  REQUIRE(ds.size() == 1);
  const auto& t = ds.header().text;
  CHECK(t.name == "umt5 2x32 [mask, zero past prompt, wan clean]");
  CHECK(t.max_length == 24);
  CHECK(t.dim == 32);
  CHECK(t.weights_sha256 == sha256_file(dir / "umt5/text_encoder/model.safetensors"));
  auto s = ds.get(0);
  REQUIRE(s.text.sizes() == std::vector<int64_t>{24, 32});
  // The stored embedding is the encoder's (float16 in the shard), zero past the prompt.
  config::T5TextEncoderConfig te = config::T5TextEncoderConfig::wan();
  te.path = (dir / "umt5").string();
  te.max_length = 24;
  text::T5TextEncoder enc("umt5", te, torch::kCPU, torch::kFloat32);
  auto e = enc.encode({caption});
  CHECK(vdf::testing::rel_err(s.text.to(torch::kFloat32), e.tokens[0]) <= 2e-3);
  CHECK(torch::equal(s.text_mask, e.mask[0]));
  const int64_t n = e.mask[0].sum().item<int64_t>();
  CHECK(n < 24);
  CHECK(s.text.slice(0, n).abs().max().item<double>() == 0.0);

  // Training on the shards samples with the same encoder; other conventions are refused.
  write_file_atomic(dir / "train.yaml", fmt::format(R"(_base_: [{}]
data: {{source: shards, shards: {}, batch_size: 1, bucket_batch: [], val_samples: 0}}
model: {{in_channels: 32, text_dim: 32, pooled_dim: 32, max_text_len: 24}}
vae: {{kind: taef2, device: cpu}}
text_encoder: {}
train: {{steps: 2, ckpt_every: 2, val_every: 0, sample_every: 2, sample_prompts: ["a lake"], sample_shape: 1x8x8}}
)",
                                                    (vdf::testing::source_dir() / "configs/train/tiny_cpu.yaml").string(),
                                                    (dir / "out").string(), text_cfg));
  auto train = vdf::testing::run_command(vdf::testing::vdf_exe() + " train --config " + (dir / "train.yaml").string() +
                                         " run.root=" + (dir / "runs").string());
  INFO(train.output);
  REQUIRE(train.exit_code == 0);
  CHECK(fs::exists(dir / "runs/tiny_cpu/samples/step_0000002/000.mp4"));
  auto wrong = vdf::testing::run_command(vdf::testing::vdf_exe() + " train --config " + (dir / "train.yaml").string() +
                                         " run.root=" + (dir / "runs2").string() +
                                         " text_encoder.umt5.zero_past_prompt=false");
  INFO(wrong.output);
  CHECK(wrong.exit_code != 0);
  CHECK_THAT(wrong.output, Catch::Contains("text_encoder.*") && Catch::Contains("zero past prompt"));
}
#endif
