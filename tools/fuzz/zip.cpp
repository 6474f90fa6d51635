// libFuzzer target: the zip reader of PyTorch checkpoints (framework/tensor_io/zip_reader.cpp) on arbitrary
// bytes. Any input must either be rejected with vdf::Error or yield entries whose data lies inside the
// input; every entry is read (stored: a view, deflate: inflated and size-checked) and every byte touched
// so ASan sees out-of-bounds reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "framework/core/error.h"
#include "framework/tensor_io/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vdf::tensor_io::ZipReader zip(data, size, "fuzz.zip");
    volatile uint8_t sink = 0;
    for (const auto& e : zip.entries()) {
      if (e.data_offset > size || e.compressed_size > size - e.data_offset) std::abort();
      if (zip.find(e.name) == nullptr) std::abort();
      try {
        std::string scratch;
        const auto bytes = zip.read(e, scratch);
        if (bytes.size() != e.size) std::abort();
        for (char c : bytes) sink = sink ^ static_cast<uint8_t>(c);
      } catch (const vdf::Error&) {
      }
    }
  } catch (const vdf::Error&) {
  }
  return 0;
}
