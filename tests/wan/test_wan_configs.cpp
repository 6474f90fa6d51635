// The Wan configs a researcher copies (configs/wan2.1_t2v_*.yaml) parse and validate, and say what they
// claim (family, size preset, LoRA, buckets); the model section resolves to the published sizes.
#include <catch2/catch.hpp>

#include <algorithm>

#include "app/config.h"
#include "framework/models/wan/transformer.h"
#include "tests/test_support.h"

using namespace vdf;

TEST_CASE("wan: the Wan 2.1 configs parse and validate", "[wan]") {
  struct Expect {
    const char* file;
    const char* preset;
    int64_t lora_rank;
    int64_t params;
  };
  const Expect expected[] = {{"configs/wan2.1_t2v_1.3b_lora.yaml", "1.3b", 32, 1418996800},
                             {"configs/wan2.1_t2v_1.3b_full.yaml", "1.3b", 0, 1418996800},
                             {"configs/wan2.1_t2v_14b_lora.yaml", "14b", 32, 14288491584}};
  for (const auto& e : expected) {
    INFO(e.file);
    const config::VdfConfig cfg = config::load_config((testing::source_dir() / e.file).string());
    CHECK(cfg.model.family == config::ModelFamily::wan);
    CHECK(cfg.model.wan.preset == e.preset);
    CHECK(cfg.model.lora.rank == e.lora_rank);
    CHECK(cfg.model.text_dim == 4096);
    CHECK(cfg.model.in_channels == 16);
    CHECK(cfg.model.grad_checkpointing);
    CHECK(wan::wan_parameter_count(cfg.model) == e.params);
    CHECK(cfg.sample.sampler == config::SamplerKind::unipc);
    std::vector<std::string> buckets;
    for (const auto& b : cfg.data.bucket_batch) buckets.push_back(b.bucket);
    CHECK(std::find(buckets.begin(), buckets.end(), "21x60x104") != buckets.end());  // 480p, 81 frames
    CHECK(std::find(buckets.begin(), buckets.end(), "21x90x160") != buckets.end());  // 720p, 81 frames
  }
  // The Wan-family quickstart variant (the learning check).
  {
    const config::VdfConfig q = config::load_config((testing::source_dir() / "configs/quickstart_wan.yaml").string());
    CHECK(q.model.family == config::ModelFamily::wan);
    CHECK(q.model.lora.rank == 0);
    CHECK(wan::wan_parameter_count(q.model) < 2000000);  // comparable with the quickstart DiT's 1.62 M
  }
  // A DiT-only config cannot set Wan keys, and a wrong Wan shape is named.
  CHECK_THROWS_WITH(config::parse_config("", {"model.wan.dim=128"}), Catch::Contains("model.family"));
  CHECK_THROWS_WITH(config::parse_config("", {"model.family=wan", "model.wan.preset=''", "model.wan.dim=100",
                                              "model.wan.layers=2", "model.wan.heads=3", "model.wan.ffn_dim=8"}),
                    Catch::Contains("model.wan.heads"));
}
