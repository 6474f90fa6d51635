// libFuzzer target: the pickle interpreter of PyTorch checkpoints (framework/tensor_io/pickle.cpp) on
// arbitrary bytes, as the data.pkl of an archive whose storages hold what they claim (up to 2^24
// elements). Any input must either be rejected with vdf::Error or yield tensors whose every element lies
// inside their storage.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "framework/core/error.h"
#include "framework/tensor_io/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto check = [](const std::string&, const std::string&, size_t itemsize, int64_t numel) {
    if (itemsize == 0 || itemsize > 8) std::abort();
    VDF_CHECK(numel <= (int64_t(1) << 24), "storage too large for the fuzzer's archive");
  };
  try {
    const auto tensors =
        vdf::tensor_io::read_tensor_pickle(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pkl", check);
    for (const auto& [key, t] : tensors) {
      if (t.sizes.size() != t.strides.size() || t.sizes.size() > 16 || t.offset < 0) std::abort();
      bool empty = false;
      for (auto s : t.sizes) empty = empty || s == 0;
      if (empty) continue;
      uint64_t last = static_cast<uint64_t>(t.offset);
      for (size_t k = 0; k < t.sizes.size(); ++k) {
        if (t.sizes[k] < 0 || t.strides[k] < 0) std::abort();
        last += static_cast<uint64_t>(t.sizes[k] - 1) * static_cast<uint64_t>(t.strides[k]);
      }
      if (last >= static_cast<uint64_t>(t.storage_numel)) std::abort();  // the view must fit its storage
    }
  } catch (const vdf::Error&) {
  }
  return 0;
}
