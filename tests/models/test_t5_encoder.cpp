// T5 / UMT5 encoders against the live references, through the user-facing path (make_text_encoder on a
// config): Python builds tiny random T5EncoderModel and UMT5EncoderModel with the pinned transformers,
// saves them in the diffusers layout (model_index.json, text_encoder/ sharded with its index, tokenizer/
// with the real T5 spiece.model), and encodes prompts with the diffusers pipelines' own prompt functions
// (WanPipeline._get_t5_prompt_embeds: prompt_clean, 512 tokens, mask, output zeroed past the prompt;
// CogVideoXPipeline._get_t5_prompt_embeds: 226 tokens, no mask). Also a bf16 copy in Wan's original
// single-file naming, loaded into float32. Tolerance: relative error (max |a-b| / max |b|) <= 1e-4.
// One Python run serves every check (the blocks below are not Catch sections, which would re-run it).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/models/text/t5_loader.h"
#include "framework/models/text/t5_prompt_clean.h"
#include "framework/models/text/t5_text_encoder.h"
#include "framework/models/text/text_encoder.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"

using namespace vdf;
using vdf::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const char* kT5SpieceAsset = "assets/tokenizers/t5_spiece.model";
constexpr double kT5Tolerance = 1e-4;

std::vector<std::string> t5_test_prompts() {
  std::string long_prompt;
  for (int i = 0; i < 70; ++i) long_prompt += fmt::format("a slow pan over mountain lake {} at sunrise, ", i);
  return {"A red circle moving left.",
          "  Two  cats &amp; a dog&#39;s ball\n\n at  dusk &lt;3 &amp;amp; &nbsp;done\t ",
          "Ünïcödé café — “quotes” 日本語 🎉",
          long_prompt,
          "x"};
}

// The Python reference: builds, saves and runs both models; writes ref.safetensors + cleaned.json.
void t5_run_reference(const TempDir& tmp) {
  write_file_atomic(tmp / "prompts.json", nlohmann::json(t5_test_prompts()).dump());
  write_file_atomic(tmp / "ref.py", R"PY(import json, os, re, shutil, sys, types
import torch
from safetensors.torch import save_file
from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel, T5Tokenizer
from diffusers.pipelines.wan.pipeline_wan import WanPipeline, prompt_clean
from diffusers.pipelines.cogvideo.pipeline_cogvideox import CogVideoXPipeline
d, spiece = sys.argv[1], sys.argv[2]
prompts = json.load(open(d + '/prompts.json'))
torch.manual_seed(0)
cpu = torch.device('cpu')
import diffusers.utils.logging as dlog; dlog.set_verbosity_error()

def build(kind):
    cls, mcls = (T5Config, T5EncoderModel) if kind == 't5' else (UMT5Config, UMT5EncoderModel)
    cfg = cls(vocab_size=32128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
              feed_forward_proj='gated-gelu', relative_attention_num_buckets=32, relative_attention_max_distance=128)
    m = mcls(cfg).eval()
    with torch.no_grad():  # weights of a scale that makes every part of the network matter
        for n, p in m.named_parameters():
            if 'layer_norm' in n: p.copy_(1 + 0.3 * torch.randn_like(p))
            elif 'relative_attention_bias' in n or n == 'shared.weight': p.normal_(0, 1.0)
            else: p.normal_(0, p.shape[1] ** -0.5)
    return m

def save_pipeline(root, m, cls):
    os.makedirs(root + '/tokenizer')
    json.dump({'_class_name': cls, '_diffusers_version': '0.42.1',
               'text_encoder': ['transformers', type(m).__name__], 'tokenizer': ['transformers', 'T5TokenizerFast']},
              open(root + '/model_index.json', 'w'))
    m.save_pretrained(root + '/text_encoder', max_shard_size='1MB')  # sharded: exercises the index
    shutil.copy(spiece, root + '/tokenizer/spiece.model')
    tok = T5Tokenizer.from_pretrained(root + '/tokenizer')
    tok.save_pretrained(root + '/tokenizer')
    return tok

def embeds(pipeline_cls, m, tok, n):
    stub = types.SimpleNamespace(tokenizer=tok, text_encoder=m, _execution_device=cpu)
    with torch.no_grad():
        return pipeline_cls._get_t5_prompt_embeds(stub, prompt=prompts, max_sequence_length=n, device=cpu,
                                                  dtype=torch.float32)

out = {}
t5 = build('t5')
tok = save_pipeline(d + '/cogvideox', t5, 'CogVideoXPipeline')
out['t5'] = embeds(CogVideoXPipeline, t5, tok, 226)
out['t5_ids'] = tok(prompts, padding='max_length', max_length=226, truncation=True, return_tensors='pt').input_ids

umt5 = build('umt5')
tok = save_pipeline(d + '/wan', umt5, 'WanPipeline')
out['umt5'] = embeds(WanPipeline, umt5, tok, 512)
# bf16 compute as transformers runs it (wo stays float32 for fp16 only)
umt5_bf16 = UMT5EncoderModel.from_pretrained(d + '/wan/text_encoder', dtype=torch.bfloat16).eval()
assert umt5_bf16.encoder.block[0].layer[1].DenseReluDense.wo.weight.dtype == torch.bfloat16
out['umt5_bf16_compute'] = embeds(WanPipeline, umt5_bf16, tok, 512)
t = tok([prompt_clean(p) for p in prompts], padding='max_length', max_length=512, truncation=True, return_tensors='pt')
out['umt5_ids'], out['umt5_mask'] = t.input_ids, t.attention_mask

# bf16 weights in Wan's original names (wan/modules/t5.py T5Encoder), one .pth; reference: the same
# bf16 values in a float32 model.
bf16 = {k: v.to(torch.bfloat16) for k, v in umt5.state_dict().items() if k != 'encoder.embed_tokens.weight'}
sub = {0: {'layer_norm': 'norm1', 'SelfAttention.q': 'attn.q', 'SelfAttention.k': 'attn.k', 'SelfAttention.v': 'attn.v',
           'SelfAttention.o': 'attn.o', 'SelfAttention.relative_attention_bias': 'pos_embedding.embedding'},
       1: {'layer_norm': 'norm2', 'DenseReluDense.wi_0': 'ffn.gate.0', 'DenseReluDense.wi_1': 'ffn.fc1',
           'DenseReluDense.wo': 'ffn.fc2'}}
def wan_name(k):
    if k == 'shared.weight': return 'token_embedding.weight'
    if k == 'encoder.final_layer_norm.weight': return 'norm.weight'
    i, l, rest = re.match(r'encoder\.block\.(\d+)\.layer\.(\d)\.(.*)\.weight$', k).groups()
    return f'blocks.{i}.{sub[int(l)][rest]}.weight'
os.makedirs(d + '/wan_original')
torch.save({wan_name(k): v for k, v in bf16.items()}, d + '/wan_original/models_t5_umt5-xxl-enc-bf16.pth')
umt5.load_state_dict({k: v.float() for k, v in bf16.items()}, strict=False)
out['umt5_bf16'] = embeds(WanPipeline, umt5, tok, 512)

save_file({k: v.contiguous() for k, v in out.items()}, d + '/ref.safetensors')
json.dump([prompt_clean(p) for p in prompts], open(d + '/cleaned.json', 'w'))
)PY");
  auto r = vdf::testing::run_command(fmt::format("{} {} {} {}", vdf::testing::python(), (tmp / "ref.py").string(),
                                                 tmp.path().string(), vdf::testing::shared(kT5SpieceAsset).string()));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

config::TextEncoderConfig t5_config(const std::string& kind, const fs::path& path, const fs::path& tokenizer = {}) {
  config::TextEncoderConfig c;
  c.kind = kind == "t5" ? config::TextEncoderKind::t5 : config::TextEncoderKind::umt5;
  auto& s = kind == "t5" ? c.t5 : c.umt5;
  s.path = path.string();
  s.tokenizer_path = tokenizer.string();
  c.device = "cpu";
  return c;
}

}  // namespace

TEST_CASE("T5/UMT5 encoders equal transformers + the diffusers Wan and CogVideoX prompt encoding", "[t5][parity]") {
  if (!vdf::testing::require_shared({kT5SpieceAsset}) ||
      !vdf::testing::require_or_skip(fs::exists(vdf::testing::python()), "the reference Python is absent"))
    return;
  torch::set_num_threads(2);
  TempDir tmp("vdf-t5");
  t5_run_reference(tmp);
  const auto ref = tensor_io::load_safetensors(tmp / "ref.safetensors");
  const auto prompts = t5_test_prompts();

  // Wan's prompt_clean (html.unescape twice + whitespace; no ftfy in the reference environment either).
  const auto cleaned = nlohmann::json::parse(read_file(tmp / "cleaned.json"));
  for (size_t i = 0; i < prompts.size(); ++i) CHECK(text::wan_prompt_clean(prompts[i]) == cleaned[i]);

  // The folders are sharded (index path) and hold the tokenizer beside the encoder.
  REQUIRE(fs::exists(tmp / "wan/text_encoder/model.safetensors.index.json"));
  CHECK(tensor_io::weights_index_shards(tmp / "wan/text_encoder/model.safetensors.index.json").size() >= 2);

  {  // UMT5, Wan conventions: diffusers folder
    auto enc = text::make_text_encoder(t5_config("umt5", tmp / "wan"));
    CHECK(enc->max_length() == 512);
    CHECK(enc->dim() == 32);
    auto e = enc->encode(prompts);
    const auto& want = ref.at("umt5");
    REQUIRE(e.tokens.sizes() == want.sizes());
    WARN("UMT5 (Wan) float32 vs transformers + WanPipeline: max rel err " << vdf::testing::rel_err(e.tokens, want));
    CHECK(vdf::testing::rel_err(e.tokens, want) <= kT5Tolerance);
    CHECK(torch::equal(e.mask, ref.at("umt5_mask").to(torch::kBool)));
    // zeroed past the prompt (Wan), like the reference; the long prompt is truncated to 511 pieces + EOS
    CHECK(e.tokens.masked_select(~e.mask.unsqueeze(-1)).abs().max().item<double>() == 0.0);
    CHECK(e.mask[3].all().item<bool>());
    auto* t5enc = dynamic_cast<text::T5TextEncoder*>(enc.get());
    REQUIRE(t5enc);
    std::vector<std::string> clean;
    for (const auto& p : prompts) clean.push_back(t5enc->prepare(p));
    CHECK(torch::equal(t5enc->tokenizer().tokenize(clean, 512).ids, ref.at("umt5_ids")));
    // pooled: mean over the prompt's tokens
    auto w = e.mask.unsqueeze(-1).to(torch::kFloat32);
    CHECK(vdf::testing::max_abs(e.pooled, (e.tokens * w).sum(1) / w.sum(1)) <= 1e-6);
  }
  {  // T5, CogVideoX conventions: diffusers folder, text_encoder/ folder, index file
    const auto& want = ref.at("t5");
    for (const fs::path& p : {tmp / "cogvideox", tmp / "cogvideox/text_encoder",
                              tmp / "cogvideox/text_encoder/model.safetensors.index.json"}) {
      INFO(p.string());
      auto enc = text::make_text_encoder(t5_config("t5", p, tmp / "cogvideox/tokenizer/spiece.model"));
      CHECK(enc->max_length() == 226);
      auto e = enc->encode(prompts);
      REQUIRE(e.tokens.sizes() == want.sizes());
      WARN("T5 (CogVideoX) float32 vs transformers + CogVideoXPipeline: max rel err " << vdf::testing::rel_err(e.tokens, want));
      CHECK(vdf::testing::rel_err(e.tokens, want) <= kT5Tolerance);
      // CogVideoX passes no mask and keeps the padding positions' features
      CHECK(e.tokens[4][100].abs().max().item<double>() > 0.0);
    }
  }
  {  // UMT5 computing in bfloat16, as transformers
    auto c = t5_config("umt5", tmp / "wan");
    c.dtype = config::FloatType::bfloat16;
    auto e = text::make_text_encoder(c)->encode(prompts);
    const double err = vdf::testing::rel_err(e.tokens, ref.at("umt5_bf16_compute"));
    WARN("UMT5 bf16 compute vs transformers bf16: max rel err " << err);
    CHECK(err <= 3e-2);
  }
  {  // UMT5: Wan's original bf16 .pth (original names) loads into float32
    auto c = t5_config("umt5", tmp / "wan_original/models_t5_umt5-xxl-enc-bf16.pth", tmp / "wan/tokenizer");
    auto enc = text::make_text_encoder(c);
    auto e = enc->encode(prompts);
    WARN("UMT5 bf16 .pth (Wan names) into float32: max rel err " << vdf::testing::rel_err(e.tokens, ref.at("umt5_bf16")));
    CHECK(vdf::testing::rel_err(e.tokens, ref.at("umt5_bf16")) <= kT5Tolerance);
    // and it is a different model from the float32 one (the bf16 rounding shows)
    CHECK(vdf::testing::rel_err(e.tokens, ref.at("umt5")) > 1e-4);
    const auto ck = text::read_t5_checkpoint(c.umt5.path);
    CHECK(ck.layout == "wan");
    CHECK(ck.config.model_type == "umt5");
    CHECK(ck.config.num_heads == 4);
    CHECK(ck.config.d_kv == 8);
  }
  {  // errors name the file, the key and the kind
    CHECK_THROWS_WITH(text::make_text_encoder(t5_config("t5", tmp / "wan")),
                      Catch::Contains("text_encoder.t5.path") && Catch::Contains("use kind umt5"));
    // a missing tensor: strict loading names the file and the key
    auto tensors = text::read_t5_checkpoint(tmp / "wan").tensors;
    tensors.erase("encoder.final_layer_norm.weight");
    fs::create_directories(tmp / "broken");
    fs::copy_file(tmp / "wan/text_encoder/config.json", tmp / "broken/config.json");
    tensor_io::save_safetensors(tmp / "broken/model.safetensors", tensors);
    CHECK_THROWS_WITH(text::make_text_encoder(t5_config("umt5", tmp / "broken", tmp / "wan/tokenizer")),
                      Catch::Contains("broken/model.safetensors") &&
                          Catch::Contains("encoder.final_layer_norm.weight") && Catch::Contains("1 missing"));
    // a shard the index names is gone
    fs::copy(tmp / "wan/text_encoder", tmp / "noshard");
    for (const auto& s : tensor_io::weights_index_shards(tmp / "noshard/model.safetensors.index.json")) {
      fs::remove(s);
      break;
    }
    CHECK_THROWS_WITH(text::read_t5_checkpoint(tmp / "noshard"),
                      Catch::Contains("model.safetensors.index.json") && Catch::Contains("does not exist"));
    // no tokenizer anywhere
    CHECK_THROWS_WITH(text::make_text_encoder(t5_config("umt5", tmp / "broken")),
                      Catch::Contains("text_encoder.umt5.tokenizer_path"));
  }
}

TEST_CASE("T5 relative position buckets equal transformers' table", "[t5][unit]") {
  // Printed by transformers 5.24 T5Attention._relative_position_bucket(bidirectional, 32 buckets, max_distance 128) for
  // relative positions -200, -128, -127, -20, -9, -8, -7, -1, 0, 1, 7, 8, 9, 20, 127, 128, 200.
  auto rel = torch::tensor({-200, -128, -127, -20, -9, -8, -7, -1, 0, 1, 7, 8, 9, 20, 127, 128, 200}, torch::kLong);
  auto b = text::t5_relative_position_bucket(rel, 32, 128);
  std::vector<int64_t> got(b.data_ptr<int64_t>(), b.data_ptr<int64_t>() + b.numel());
  CHECK(got == std::vector<int64_t>{15, 15, 15, 10, 8, 8, 7, 1, 0, 17, 23, 24, 24, 26, 31, 31, 31});
}
