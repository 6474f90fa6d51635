// libFuzzer target: the safetensors header parser (framework/tensor_io/safetensors_header.cpp and its
// JSON parser) on arbitrary bytes. Any input must either be rejected with vdf::Error or yield tensors
// whose byte ranges lie inside the input; everything is touched so ASan sees out-of-bounds reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "framework/core/error.h"
#include "framework/tensor_io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = vdf::tensor_io::parse_safetensors_header(data, size, "fuzz.safetensors");
    if (h.data_start + h.data_size != size) std::abort();
    volatile uint8_t sink = 0;
    uint64_t prev_end = 0;
    for (const auto& info : h.infos) {
      if (info.end < info.begin || info.end > h.data_size) std::abort();
      if (info.begin != info.end) {
        if (info.begin < prev_end) std::abort();  // overlaps must have been rejected
        prev_end = info.end;
      }
      uint64_t numel = 1;
      for (auto d : info.shape) numel *= static_cast<uint64_t>(d);
      if (numel * vdf::tensor_io::safetensors_itemsize(info.dtype) != info.end - info.begin) std::abort();
      const uint8_t* p = data + h.data_start;
      for (uint64_t i = info.begin; i < info.end; ++i) sink = sink ^ p[i];
    }
  } catch (const vdf::Error&) {
  }
  return 0;
}
