// `vdf convert IN OUT.safetensors [--dtype keep|f32|f16|bf16]`: converts a weights file (PyTorch zip
// .pth/.pt/.bin, or safetensors) to safetensors, written atomically. Floating-point tensors are cast
// to --dtype; integer and bool tensors are kept. Keys of nested dicts are joined with '.'.
#include <iostream>
#include <optional>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/weights.h"
#include "tools/vdf/command.h"

namespace {

struct ConvertOptions {
  std::string in, out;
  std::string dtype = "keep";
};

void run(const ConvertOptions& o) {
  using namespace vdf::tensor_io;
  VDF_CHECK(std::filesystem::path(o.out).extension() == ".safetensors", "convert: output '{}' must end in .safetensors",
            o.out);
  std::optional<torch::ScalarType> target;
  if (o.dtype == "f32") target = torch::kFloat32;
  else if (o.dtype == "f16") target = torch::kFloat16;
  else if (o.dtype == "bf16") target = torch::kBFloat16;
  else VDF_CHECK(o.dtype == "keep", "convert: --dtype must be keep, f32, f16 or bf16, got '{}'", o.dtype);
  TensorMap tensors = load_weights_file(o.in);
  size_t cast = 0;
  if (target) {
    for (auto& [k, t] : tensors)
      if (t.is_floating_point() && t.scalar_type() != *target) t = t.to(*target), ++cast;
  }
  Metadata meta{{"converted_from", std::filesystem::path(o.in).filename().string()}, {"converter", "vdf convert"}};
  save_safetensors(o.out, tensors, meta);
  VDF_INFO("convert: wrote {} tensors to '{}' ({} cast to {})", tensors.size(), o.out, cast, o.dtype);
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<ConvertOptions>();
  auto* cmd = app.add_subcommand("convert", "Convert a weights file (.pth/.pt/.bin/.safetensors) to safetensors");
  cmd->add_option("input", opts->in, "input weights file")->required();
  cmd->add_option("output", opts->out, "output .safetensors file")->required();
  cmd->add_option("--dtype", opts->dtype, "floating-point dtype of the output: keep | f32 | f16 | bf16");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace

VDF_REGISTER_COMMAND(convert, setup);
