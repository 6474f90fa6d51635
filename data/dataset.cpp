#include "data/dataset.h"

#include <fmt/format.h>

#include "framework/core/error.h"

namespace vdf::data {

std::vector<int64_t> parse_bucket_key(const std::string& key) {
  std::vector<int64_t> dims;
  size_t start = 0;
  while (true) {
    size_t x = key.find('x', start);
    std::string part = key.substr(start, x == std::string::npos ? std::string::npos : x - start);
    char* end = nullptr;
    long long v = part.empty() ? 0 : std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || v <= 0)
      fail("bucket key '{}': expected TxHxW with positive integers (e.g. 1x32x32)", key);
    dims.push_back(v);
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (dims.size() != 3) fail("bucket key '{}': expected three sizes TxHxW", key);
  return dims;
}

std::string make_bucket_key(int64_t t, int64_t h, int64_t w) { return fmt::format("{}x{}x{}", t, h, w); }

LatentBatch collate(const LatentDataset& dataset, const std::vector<int64_t>& indices) {
  VDF_CHECK(!indices.empty(), "collate: empty batch");
  std::vector<torch::Tensor> lat, txt, mask, pooled;
  LatentBatch batch;
  for (int64_t i : indices) {
    LatentSample s = dataset.get(i);
    if (batch.bucket.empty()) batch.bucket = s.bucket;
    if (!lat.empty() && s.latents.sizes() != lat.front().sizes())
      fail("dataset {}: sample {} has latent shape {} but the batch (bucket '{}') has {}", dataset.describe(), i,
           c10::str(s.latents.sizes()), batch.bucket, c10::str(lat.front().sizes()));
    lat.push_back(s.latents.to(torch::kFloat32));
    txt.push_back(s.text.to(torch::kFloat32));
    mask.push_back(s.text_mask.to(torch::kBool));
    pooled.push_back(s.pooled.to(torch::kFloat32));
    batch.captions.push_back(std::move(s.caption));
    batch.indices.push_back(i);
  }
  batch.latents = torch::stack(lat);
  batch.text = torch::stack(txt);
  batch.text_mask = torch::stack(mask);
  batch.pooled = torch::stack(pooled);
  return batch;
}

}  // namespace vdf::data
