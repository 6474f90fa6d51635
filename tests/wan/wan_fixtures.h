// Wan test fixtures: the tiny config that tests/wan/wan_reference.py builds in diffusers (2 layers,
// 2 heads x head dim 16, patch (1, 2, 2), 4 channels, text_dim 32, freq_dim 32, ffn 64), and running the
// reference script.
#pragma once
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <string>

#include "framework/config/schema/model.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/test_support.h"

namespace vdf::testing {

inline config::DitConfig tiny_wan_config() {
  config::DitConfig c;
  c.family = config::ModelFamily::wan;
  c.in_channels = 4;
  c.out_channels = 4;
  c.patch = {1, 2, 2};
  c.text_dim = 32;
  c.wan.preset = "";
  c.wan.dim = 32;
  c.wan.layers = 2;
  c.wan.heads = 2;
  c.wan.ffn_dim = 64;
  c.wan.freq_dim = 32;
  c.wan.text_len = 0;
  c.wan.rope_max_seq_len = 32;
  return c;
}

// Runs `wan_reference.py <mode> <dir>` with the reference Python; false (after require_or_skip) when the
// reference environment is missing. The script's output is in the Catch message on failure.
inline bool run_wan_reference(const std::string& mode, const fs::path& dir) {
  const std::string py = python();
  if (!require_or_skip(fs::exists(py), "the reference Python (tools/setup_python.sh) is absent: " + py)) return false;
  const auto r = run_command(py + " " + (source_dir() / "tests/wan/wan_reference.py").string() + " " + mode + " " +
                             dir.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return true;
}

}  // namespace vdf::testing
