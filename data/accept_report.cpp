#include "data/accept_report.h"

#include <algorithm>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"

namespace vdf::data {

void AcceptReport::add(InputRecord r) {
  VDF_CHECK(r.accepted == r.reason.empty(), "report entry '{}': an accepted input has no reason and a rejected "
            "one must have one (reason '{}')", r.path, r.reason);
  std::lock_guard<std::mutex> lock(mutex_);
  if (r.index < 0) r.index = static_cast<int64_t>(records_.size());
  records_.push_back(std::move(r));
}

size_t AcceptReport::inputs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return records_.size();
}
size_t AcceptReport::accepted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::count_if(records_.begin(), records_.end(), [](const auto& r) { return r.accepted; });
}
size_t AcceptReport::rejected() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::count_if(records_.begin(), records_.end(), [](const auto& r) { return !r.accepted; });
}
int64_t AcceptReport::clips() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t n = 0;
  for (const auto& r : records_) n += r.accepted ? r.clips : 0;
  return n;
}
std::map<std::string, int64_t> AcceptReport::reasons() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, int64_t> m;
  for (const auto& r : records_)
    if (!r.accepted) ++m[r.reason];
  return m;
}
std::vector<InputRecord> AcceptReport::records() const {
  std::vector<InputRecord> v;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    v = records_;
  }
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return v;
}

nlohmann::json AcceptReport::to_json() const {
  const auto recs = records();
  nlohmann::json entries = nlohmann::json::array();
  int64_t accepted = 0, rejected = 0, clips = 0;
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& r : recs) {
    nlohmann::json e = {{"index", r.index}, {"path", r.path}, {"accepted", r.accepted}};
    if (r.accepted) {
      ++accepted;
      clips += r.clips;
      e["clips"] = r.clips;
    } else {
      ++rejected;
      e["reason"] = r.reason;
      reasons[r.reason] = reasons.value(r.reason, 0) + 1;
    }
    e["detail"] = r.detail;
    e["frames"] = r.frames;
    e["decode_errors"] = r.decode_errors;
    if (!r.extra.empty()) e["extra"] = r.extra;
    entries.push_back(std::move(e));
  }
  VDF_CHECK(accepted + rejected == static_cast<int64_t>(recs.size()),
            "report invariant broken: {} accepted + {} rejected != {} inputs", accepted, rejected, recs.size());
  return {{"inputs", recs.size()}, {"accepted", accepted}, {"rejected", rejected}, {"clips", clips},
          {"reasons", reasons},    {"policy", policy_},    {"entries", entries}};
}

void AcceptReport::write(const std::string& path) const { write_file_atomic(path, to_json().dump(2) + "\n"); }

}  // namespace vdf::data
