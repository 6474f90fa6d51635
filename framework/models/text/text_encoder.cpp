// make_text_encoder: the config's kind -> its TextEncoder.
#include "framework/models/text/text_encoder.h"

#include "framework/core/error.h"
#include "framework/models/device.h"
#include "framework/models/text/clip_text_encoder.h"
#include "framework/models/text/t5_text_encoder.h"

namespace vdf::text {

std::unique_ptr<TextEncoder> make_text_encoder(const config::TextEncoderConfig& c) {
  c.validate(config::Check("text_encoder"));
  const torch::Device device = models::parse_device(c.device);
  const torch::Dtype dtype = models::parse_dtype(config::enum_name(c.dtype));
  switch (c.kind) {
    case config::TextEncoderKind::clip:
      return std::make_unique<ClipTextEncoder>(c.size, c.weights_path, c.tokenizer_path, c.max_length, device, dtype);
    case config::TextEncoderKind::t5:
      return std::make_unique<T5TextEncoder>("t5", c.t5, device, dtype);
    case config::TextEncoderKind::umt5:
      return std::make_unique<T5TextEncoder>("umt5", c.umt5, device, dtype);
  }
  fail("config key 'text_encoder.kind': unhandled kind {}", static_cast<int>(c.kind));
}

}  // namespace vdf::text
