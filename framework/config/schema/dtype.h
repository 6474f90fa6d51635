// A choice of floating-point storage/compute type shared by several sections (vae.dtype,
// text_encoder.dtype); framework/models/device.h turns it into a torch dtype.
#pragma once
#include "framework/config/binding.h"

namespace vdf::config {

enum class FloatType { float32, float16, bfloat16 };
VDF_CONFIG_ENUM(FloatType, {FloatType::float32, "float32"}, {FloatType::float16, "float16"},
                {FloatType::bfloat16, "bfloat16"})

}  // namespace vdf::config
