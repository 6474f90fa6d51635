#include "framework/distributed/env.h"

#include <cstdlib>

#include "framework/config/binding.h"
#include "framework/core/error.h"

namespace vdf::distributed {
namespace {

int parse_int_var(const std::string& name, const std::string& value, int min_value) {
  int64_t v = 0;
  if (!config::parse_int64(value, &v) || v < min_value || v > 1 << 30)
    fail("environment variable {}='{}': expected an integer >= {}", name, value, min_value);
  return static_cast<int>(v);
}

// Splits at commas that are not inside brackets.
std::vector<std::string> split_top_level(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0) fail("host list '{}': unmatched ']'", s);
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) fail("host list '{}': unmatched '['", s);
  out.push_back(cur);
  return out;
}

void expand_one(const std::string& whole, const std::string& name, std::vector<std::string>& out) {
  const auto open = name.find('[');
  if (open == std::string::npos) {
    if (name.empty() || name.find(']') != std::string::npos) fail("host list '{}': bad host name '{}'", whole, name);
    out.push_back(name);
    return;
  }
  const auto close = name.find(']', open);
  if (close == std::string::npos) fail("host list '{}': unmatched '['", whole);
  const std::string prefix = name.substr(0, open);
  const std::string body = name.substr(open + 1, close - open - 1);
  const std::string rest = name.substr(close + 1);
  if (body.empty()) fail("host list '{}': empty brackets", whole);
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    if (comma == std::string::npos) comma = body.size();
    const std::string range = body.substr(start, comma - start);
    const auto dash = range.find('-');
    const std::string lo_s = range.substr(0, dash);
    const std::string hi_s = dash == std::string::npos ? lo_s : range.substr(dash + 1);
    int64_t lo = 0, hi = 0;
    auto digits = [](const std::string& t) {
      return !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(lo_s) || !digits(hi_s) || !config::parse_int64(lo_s, &lo) || !config::parse_int64(hi_s, &hi) ||
        hi < lo || hi - lo > 100000)
      fail("host list '{}': bad range '{}'", whole, range);
    const size_t width = lo_s.size();
    for (int64_t i = lo; i <= hi; ++i) {
      std::string num = std::to_string(i);
      if (num.size() < width) num.insert(0, width - num.size(), '0');
      expand_one(whole, prefix + num + rest, out);
    }
    start = comma + 1;
  }
}

}  // namespace

std::vector<std::string> expand_hostlist(const std::string& list) {
  std::vector<std::string> out;
  if (list.empty()) fail("host list is empty");
  for (const auto& part : split_top_level(list)) expand_one(list, part, out);
  return out;
}

std::vector<int> expand_tasks_per_node(const std::string& text) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    int64_t count = 0, repeat = 1;
    const auto paren = item.find("(x");
    const std::string count_s = item.substr(0, paren);
    bool ok = config::parse_int64(count_s, &count) && count > 0;
    if (paren != std::string::npos) {
      ok = ok && item.back() == ')' &&
           config::parse_int64(item.substr(paren + 2, item.size() - paren - 3), &repeat) && repeat > 0;
    }
    if (!ok) fail("SLURM tasks-per-node '{}': bad item '{}' (expected N or N(xM))", text, item);
    for (int64_t i = 0; i < repeat; ++i) out.push_back(static_cast<int>(count));
    start = comma + 1;
  }
  return out;
}

LaunchEnv launch_env_from(const EnvLookup& lookup) {
  LaunchEnv env;
  auto get = [&](const char* name) { return lookup(name); };
  auto get_int = [&](const char* name, int fallback, int min_value) {
    auto v = get(name);
    return v && !v->empty() ? parse_int_var(name, *v, min_value) : fallback;
  };

  if (get("RANK") || get("WORLD_SIZE")) {
    env.source = "env";
    if (!get("RANK") || !get("WORLD_SIZE"))
      fail("environment: RANK and WORLD_SIZE must be set together (got RANK={}, WORLD_SIZE={})",
           get("RANK").value_or("<unset>"), get("WORLD_SIZE").value_or("<unset>"));
    env.rank = get_int("RANK", 0, 0);
    env.world_size = get_int("WORLD_SIZE", 1, 1);
    env.local_rank = get_int("LOCAL_RANK", env.rank, 0);
    env.local_world_size = get_int("LOCAL_WORLD_SIZE", env.world_size, 1);
    if (auto a = get("MASTER_ADDR"); a && !a->empty()) env.master_addr = *a;
    env.master_port = get_int("MASTER_PORT", env.master_port, 1);
  } else if (get("SLURM_PROCID") && get("SLURM_NTASKS")) {
    env.source = "slurm";
    env.rank = get_int("SLURM_PROCID", 0, 0);
    env.world_size = get_int("SLURM_NTASKS", 1, 1);
    env.local_rank = get_int("SLURM_LOCALID", 0, 0);
    const int node_id = get_int("SLURM_NODEID", 0, 0);
    if (auto per = get("SLURM_NTASKS_PER_NODE"); per && !per->empty() && per->find_first_of("(,") == std::string::npos) {
      env.local_world_size = parse_int_var("SLURM_NTASKS_PER_NODE", *per, 1);
    } else if (auto tpn = get("SLURM_STEP_TASKS_PER_NODE") ? get("SLURM_STEP_TASKS_PER_NODE") : get("SLURM_TASKS_PER_NODE");
               tpn && !tpn->empty()) {
      const auto counts = expand_tasks_per_node(*tpn);
      env.local_world_size = counts.at(std::min<size_t>(node_id, counts.size() - 1));
    } else {
      env.local_world_size = env.world_size;
    }
    auto nodelist = get("SLURM_JOB_NODELIST") ? get("SLURM_JOB_NODELIST") : get("SLURM_NODELIST");
    if (auto a = get("MASTER_ADDR"); a && !a->empty()) {
      env.master_addr = *a;
    } else if (nodelist && !nodelist->empty()) {
      env.master_addr = with_context("SLURM_JOB_NODELIST", [&] { return expand_hostlist(*nodelist).front(); });
    }
    if (auto p = get("MASTER_PORT"); p && !p->empty()) {
      env.master_port = parse_int_var("MASTER_PORT", *p, 1);
    } else if (auto job = get("SLURM_JOB_ID"); job && !job->empty()) {
      env.master_port = 20000 + parse_int_var("SLURM_JOB_ID", *job, 0) % 20000;
    }
  }
  if (env.rank >= env.world_size)
    fail("environment ({}): rank {} is not below world size {}", env.source, env.rank, env.world_size);
  if (env.local_rank >= env.local_world_size)
    fail("environment ({}): local rank {} is not below local world size {}", env.source, env.local_rank,
         env.local_world_size);
  if (env.master_port < 1 || env.master_port > 65535)
    fail("environment ({}): master port {} is not in 1..65535", env.source, env.master_port);
  return env;
}

LaunchEnv launch_env() {
  return launch_env_from([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace vdf::distributed
