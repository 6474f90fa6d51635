#include "eval/report/png.h"

#include <zlib.h>

#include "framework/core/error.h"

namespace vdf::eval::report {

namespace {
void put_u32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  std::string td = std::string(type, 4) + data;
  out += td;
  put_u32(out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(td.data()), td.size())));
}
}  // namespace

std::string encode_png(const torch::Tensor& image_u8) {
  VDF_CHECK(image_u8.dim() == 3 && image_u8.size(2) == 3 && image_u8.scalar_type() == torch::kUInt8,
            "encode_png: expected [H,W,3] uint8");
  auto img = image_u8.to(torch::kCPU).contiguous();
  const int64_t h = img.size(0), w = img.size(1);
  std::string raw;
  raw.reserve(static_cast<size_t>(h) * (w * 3 + 1));
  const auto* p = img.data_ptr<uint8_t>();
  for (int64_t y = 0; y < h; ++y) {
    raw.push_back('\0');  // filter: none
    raw.append(reinterpret_cast<const char*>(p + y * w * 3), static_cast<size_t>(w * 3));
  }
  uLongf bound = compressBound(raw.size());
  std::string z(bound, '\0');
  VDF_CHECK(compress2(reinterpret_cast<Bytef*>(z.data()), &bound, reinterpret_cast<const Bytef*>(raw.data()),
                      raw.size(), 6) == Z_OK,
            "encode_png: zlib compression failed");
  z.resize(bound);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(w));
  put_u32(ihdr, static_cast<uint32_t>(h));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", "");
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string png_data_uri(const torch::Tensor& image_u8) { return "data:image/png;base64," + base64(encode_png(image_u8)); }

}  // namespace vdf::eval::report
