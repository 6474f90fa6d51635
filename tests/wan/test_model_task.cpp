// The model-family seam (train/model_task.h): model.family picks the task, model.init_from starts it from
// saved weights (the DiT from a vdf weights file; Wan from a file with diffusers names, e.g. a vdf
// checkpoint's model.safetensors of a full Wan run).
#include <catch2/catch.hpp>

#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tests/test_support.h"
#include "tests/wan/wan_fixtures.h"
#include "train/dit_task.h"
#include "train/model_task.h"
#include "train/wan_task.h"

using namespace vdf;

TEST_CASE("model family: make_model_task builds the family's task and loads model.init_from", "[wan]") {
  testing::TempDir tmp("vdf-family");
  const config::DiffusionConfig dcfg;
  for (auto family : {config::ModelFamily::dit, config::ModelFamily::wan}) {
    INFO(config::enum_name(family));
    config::DitConfig cfg = family == config::ModelFamily::wan ? testing::tiny_wan_config() : config::DitConfig{};
    if (family == config::ModelFamily::dit) {
      cfg.in_channels = 4;
      cfg.text_dim = 32;
      cfg.pooled_dim = 16;
    }
    torch::manual_seed(1);
    auto source = train::make_model_task(cfg, dcfg);
    CHECK((dynamic_cast<train::WanTask*>(source.get()) != nullptr) == (family == config::ModelFamily::wan));
    CHECK((dynamic_cast<train::DitTask*>(source.get()) != nullptr) == (family == config::ModelFamily::dit));
    {
      torch::NoGradGuard ng;
      auto gen = at::detail::createCPUGenerator(4);
      for (auto& p : source->module().parameters()) p.copy_(torch::randn(p.sizes(), gen));
    }
    const auto file = tmp / (config::enum_name(family) + ".safetensors");
    tensor_io::save_safetensors(file, tensor_io::state_dict_copy(source->module()));
    cfg.init_from = file.string();
    torch::manual_seed(2);  // a different random init: only init_from can make the weights equal
    auto loaded = train::make_model_task(cfg, dcfg);
    const auto a = tensor_io::state_dict_copy(source->module()), b = tensor_io::state_dict_copy(loaded->module());
    REQUIRE(a.size() == b.size());
    for (const auto& [k, v] : a) {
      INFO(k);
      CHECK(torch::equal(v, b.at(k)));
    }
  }
}
