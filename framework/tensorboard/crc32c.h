// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing, and the
// "masked" form TensorFlow/TensorBoard store (a CRC of data that itself contains CRCs is weak, so the
// value is rotated and offset). Written here because Debian ships no C++ crc32c library; checked
// against the standard test vectors and TensorBoard's own Python implementation
// (tests/experiments/test_tensorboard.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vdf::tensorboard {

// CRC-32C of `size` bytes, continuing from `crc` (0 to start): crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
inline uint32_t crc32c(std::string_view bytes) { return crc32c(bytes.data(), bytes.size()); }
// ((crc >> 15) | (crc << 17)) + 0xa282ead8, as TFRecord stores it.
uint32_t mask_crc(uint32_t crc);
inline uint32_t masked_crc32c(std::string_view bytes) { return mask_crc(crc32c(bytes)); }

}  // namespace vdf::tensorboard
