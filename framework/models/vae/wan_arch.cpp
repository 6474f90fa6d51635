#include "framework/models/vae/wan_arch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"

namespace vdf::vae {

const std::vector<double>& wan21_latents_mean() {
  static const std::vector<double> v = {-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,  -0.1517, 1.5508,
                                        0.4134,  -0.0715, 0.5517,  -0.3632, -0.1922, -0.9497, 0.2503,  -0.2921};
  return v;
}

const std::vector<double>& wan21_latents_std() {
  static const std::vector<double> v = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                                        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
  return v;
}

WanVaeArch wan21_arch() {
  WanVaeArch a;
  a.latents_mean = wan21_latents_mean();
  a.latents_std = wan21_latents_std();
  return a;
}

int64_t WanVaeArch::temporal_factor() const {
  int64_t f = 1;
  for (bool t : temperal_downsample) f *= t ? 2 : 1;
  return f;
}

int64_t WanVaeArch::spatial_factor() const { return int64_t(1) << (dim_mult.size() - 1); }

void WanVaeArch::check(const std::string& what) const {
  VDF_CHECK(base_dim > 0 && decoder_base_dim > 0, "{}: base_dim {} / decoder_base_dim {} must be > 0", what, base_dim,
            decoder_base_dim);
  VDF_CHECK(z_dim > 0, "{}: z_dim {} must be > 0", what, z_dim);
  VDF_CHECK(!dim_mult.empty(), "{}: dim_mult is empty", what);
  for (auto m : dim_mult) VDF_CHECK(m > 0, "{}: dim_mult [{}] must be positive", what, fmt::join(dim_mult, ","));
  VDF_CHECK(num_res_blocks > 0, "{}: num_res_blocks {} must be > 0", what, num_res_blocks);
  VDF_CHECK(temperal_downsample.size() + 1 == dim_mult.size(),
            "{}: temperal_downsample has {} entries, dim_mult {} levels: expected one per down level ({})", what,
            temperal_downsample.size(), dim_mult.size(), dim_mult.size() - 1);
  // Wan 2.1 halves the channels in each decoder upsampler: every level's width must stay even.
  for (auto m : dim_mult)
    VDF_CHECK((decoder_base_dim * m) % 2 == 0, "{}: decoder_base_dim {} x dim_mult {} must be even (upsamplers halve it)",
              what, decoder_base_dim, m);
  VDF_CHECK(in_channels == 3 && out_channels == 3, "{}: in_channels {} / out_channels {}: only RGB (3) is supported",
            what, in_channels, out_channels);
  VDF_CHECK(int64_t(latents_mean.size()) == z_dim && int64_t(latents_std.size()) == z_dim,
            "{}: latents_mean ({} values) and latents_std ({} values) must have z_dim = {} values", what,
            latents_mean.size(), latents_std.size(), z_dim);
  for (double s : latents_std) VDF_CHECK(s > 0, "{}: latents_std has a non-positive value {}", what, s);
}

namespace {

template <class T>
T wan_config_value(const nlohmann::json& j, const char* key, T fallback, const std::string& file) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const std::exception& e) {
    fail("Wan VAE config '{}': key '{}' has an unexpected value {} ({})", file, key, j.at(key).dump(), e.what());
  }
}

}  // namespace

WanVaeArch read_wan_vae_config(const std::filesystem::path& path) {
  const std::string file = path.string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("Wan VAE config '{}': not valid JSON ({})", file, e.what());
  }
  VDF_CHECK(j.is_object(), "Wan VAE config '{}': expected a JSON object", file);
  const std::string cls = wan_config_value<std::string>(j, "_class_name", "AutoencoderKLWan", file);
  VDF_CHECK(cls == "AutoencoderKLWan", "Wan VAE config '{}': _class_name is '{}', expected 'AutoencoderKLWan'", file,
            cls);
  VDF_CHECK(!wan_config_value<bool>(j, "is_residual", false, file),
            "Wan VAE config '{}': key 'is_residual' is true (the Wan 2.2 VAE); only the Wan 2.1 VAE is supported",
            file);
  VDF_CHECK(!j.contains("patch_size") || j.at("patch_size").is_null() || j.at("patch_size") == 1,
            "Wan VAE config '{}': key 'patch_size' is {} (the Wan 2.2 VAE); only the Wan 2.1 VAE (no patchify) is "
            "supported",
            file, j.contains("patch_size") ? j.at("patch_size").dump() : "");
  WanVaeArch a = wan21_arch();
  a.base_dim = wan_config_value<int64_t>(j, "base_dim", a.base_dim, file);
  a.decoder_base_dim = wan_config_value<int64_t>(j, "decoder_base_dim", a.base_dim, file);
  a.z_dim = wan_config_value<int64_t>(j, "z_dim", a.z_dim, file);
  a.dim_mult = wan_config_value<std::vector<int64_t>>(j, "dim_mult", a.dim_mult, file);
  a.num_res_blocks = wan_config_value<int64_t>(j, "num_res_blocks", a.num_res_blocks, file);
  a.attn_scales = wan_config_value<std::vector<double>>(j, "attn_scales", a.attn_scales, file);
  a.temperal_downsample = wan_config_value<std::vector<bool>>(j, "temperal_downsample", a.temperal_downsample, file);
  a.in_channels = wan_config_value<int64_t>(j, "in_channels", 3, file);
  a.out_channels = wan_config_value<int64_t>(j, "out_channels", 3, file);
  a.latents_mean = wan_config_value<std::vector<double>>(j, "latents_mean", a.latents_mean, file);
  a.latents_std = wan_config_value<std::vector<double>>(j, "latents_std", a.latents_std, file);
  const int64_t st = wan_config_value<int64_t>(j, "scale_factor_temporal", a.temporal_factor(), file);
  const int64_t ss = wan_config_value<int64_t>(j, "scale_factor_spatial", a.spatial_factor(), file);
  a.check("Wan VAE config '" + file + "'");
  VDF_CHECK(st == a.temporal_factor() && ss == a.spatial_factor(),
            "Wan VAE config '{}': scale_factor_temporal {} / scale_factor_spatial {} do not match the architecture "
            "({} / {} from temperal_downsample and dim_mult)",
            file, st, ss, a.temporal_factor(), a.spatial_factor());
  return a;
}

}  // namespace vdf::vae
