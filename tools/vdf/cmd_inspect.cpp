// `vdf inspect FILE [--json]`: describe a tensor file (safetensors, PyTorch zip .pth/.pt; more kinds
// register an Inspector, see framework/tensor_io/inspect.h): every key with dtype, shape and size in
// bytes, totals and metadata. A bad file gives one error line and exit code 1.
#include <iostream>

#include "framework/tensor_io/inspect.h"
#include "tools/vdf/command.h"

namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
};

void setup(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "List the tensors of a file (safetensors, .pth/.pt, ...)");
  cmd->add_option("file", opts->file, "the file to describe")->required();
  cmd->add_flag("--json", opts->json, "print one JSON document instead of a table");
  cmd->callback([opts] {
    const auto& inspector = vdf::tensor_io::inspector_for(opts->file);
    inspector.run(opts->file, opts->json, std::cout);
  });
}

}  // namespace

VDF_REGISTER_COMMAND(inspect, setup);
