// Registers the latent-shard inspector of `vdf inspect` (framework/tensor_io/inspect.h): a shard file or
// a folder of shards is summarized (samples, buckets, models, attributes, rejected inputs) and verified
// sample by sample (shape, finite values, latent SHA-256); any problem exits with code 1.
#ifdef VDF_WITH_HDF5
#include <sstream>

#include "data/h5/shard_inspect.h"
#include "framework/tensor_io/inspect.h"
#include "tools/vdf/command.h"

namespace {

class LatentShardInspector : public vdf::tensor_io::Inspector {
 public:
  std::string kind() const override { return "vdf latent shards (HDF5)"; }
  bool accepts(const std::filesystem::path& path) const override { return vdf::data::is_shard_path(path); }
  void run(const std::filesystem::path& path, bool json, std::ostream& out) const override {
    const int code = vdf::data::inspect_shards(path, /*verify=*/true, json, out);
    out.flush();
    if (code != 0) throw vdf::cli::ExitCode{code};
  }
};

VDF_REGISTER_INSPECTOR(LatentShardInspector);

}  // namespace
#endif
