#include "experiments/sweep.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/progress.h"
#include "train/checkpoint.h"

namespace vdf::experiments {

namespace {

std::string sweep_where(const fs::path& file, const YAML::Node& node) {
  return fmt::format("{}:{}", file.string(), node.Mark().line + 1);
}

// A YAML value as override text: scalars as written ("1.0e-3" stays "1.0e-3"), lists and maps in flow style.
std::string sweep_value_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter em;
  em.SetMapFormat(YAML::Flow);
  em.SetSeqFormat(YAML::Flow);
  em << node;
  return em.c_str();
}

// "a.b" -> value pairs of a map node, in file order.
std::vector<std::pair<std::string, std::string>> sweep_assignments(const fs::path& file, const YAML::Node& node,
                                                                    const std::string& what) {
  VDF_CHECK(node.IsMap(), "{}: '{}' must be a map of key.path: value", sweep_where(file, node), what);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : node) out.emplace_back(kv.first.as<std::string>(), sweep_value_text(kv.second));
  return out;
}

// A YAML double-quoted scalar (paths and names in overrides).
std::string sweep_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The value at a dotted key path of a document, as text; false when it is not set.
bool sweep_lookup(const YAML::Node& root, const std::string& key, std::string* out) {
  // Const lookups only: yaml-cpp's non-const operator[] may add the key it looks for.
  std::vector<YAML::Node> path = {root};
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const YAML::Node& cursor = path.back();
    if (!cursor.IsMap()) return false;
    const YAML::Node next = cursor[part];
    if (!next) return false;
    path.push_back(next);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *out = sweep_value_text(path.back());
  return true;
}

// Keeps names usable as folder names and in shell lines: [A-Za-z0-9._+-], anything else -> '_'.
std::string sweep_safe_name(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '+' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

std::string sweep_last_component(const std::string& key) {
  const size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// The default name: "<key><value>" of each varied key joined by '-', keys shortened to their last
// component unless two varied keys share it.
std::string sweep_default_name(const std::vector<std::pair<std::string, std::string>>& varied,
                               const std::set<std::string>& all_varied_keys) {
  if (varied.empty()) return "run";
  std::map<std::string, int> short_count;
  for (const auto& k : all_varied_keys) short_count[sweep_last_component(k)] += 1;
  std::string name;
  for (const auto& [key, value] : varied) {
    const std::string shown = key == "run.seed" ? "seed" : (short_count[sweep_last_component(key)] > 1 ? key : sweep_last_component(key));
    name += (name.empty() ? "" : "-") + shown + value;
  }
  return name;
}

std::string sweep_render_name(const std::string& tmpl, const std::vector<std::pair<std::string, std::string>>& varied,
                              const YAML::Node& doc_root, size_t index, const fs::path& file) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    const size_t open = tmpl.find('{', pos);
    if (open == std::string::npos) {
      out += tmpl.substr(pos);
      break;
    }
    const size_t close = tmpl.find('}', open);
    VDF_CHECK(close != std::string::npos, "{}: name template '{}' has an unclosed '{{'", file.string(), tmpl);
    out += tmpl.substr(pos, open - pos);
    std::string key = tmpl.substr(open + 1, close - open - 1);
    if (key == "index") {
      out += std::to_string(index);
    } else {
      if (key == "seed") key = "run.seed";
      std::string value;
      bool found = false;
      for (const auto& [k, v] : varied)
        if (k == key) value = v, found = true;
      if (!found) found = sweep_lookup(doc_root, key, &value);
      VDF_CHECK(found, "{}: name template '{}' uses {{{}}}, which run {} neither varies nor has in its config",
                file.string(), tmpl, key, index);
      out += value;
    }
    pos = close + 1;
  }
  return sweep_safe_name(out);
}

}  // namespace

SweepSpec load_sweep(const fs::path& file) {
  return with_context(fmt::format("sweep file {}", file.string()), [&] {
    SweepSpec spec;
    spec.file = fs::absolute(file).lexically_normal();
    YAML::Node root;
    try {
      root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
      fail("cannot read it: {}", e.what());
    }
    VDF_CHECK(root.IsMap(), "expected a map with base, grid, variants, seeds, name, set, slurm");
    static const std::set<std::string> known = {"base", "set", "grid", "variants", "seeds", "name", "slurm"};
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      VDF_CHECK(known.count(key), "{}: unknown key '{}' (expected base, set, grid, variants, seeds, name, slurm)",
                sweep_where(file, kv.first), key);
    }
    VDF_CHECK(root["base"] && root["base"].IsScalar(), "'base' (the config file every run starts from) is required");
    spec.base = (spec.file.parent_path() / root["base"].as<std::string>()).lexically_normal();
    VDF_CHECK(fs::exists(spec.base), "{}: base config '{}' does not exist", sweep_where(file, root["base"]),
              spec.base.string());
    if (root["set"]) spec.set = sweep_assignments(file, root["set"], "set");
    if (root["grid"]) {
      VDF_CHECK(root["grid"].IsMap(), "{}: 'grid' must map key.path to a list of values", sweep_where(file, root["grid"]));
      for (const auto& kv : root["grid"]) {
        const std::string key = kv.first.as<std::string>();
        VDF_CHECK(kv.second.IsSequence() && kv.second.size() > 0, "{}: grid key '{}' needs a non-empty list of values",
                  sweep_where(file, kv.second), key);
        VDF_CHECK(key != "run.seed", "{}: vary run.seed with 'seeds: [...]'", sweep_where(file, kv.first));
        std::vector<std::string> values;
        for (const auto& v : kv.second) values.push_back(sweep_value_text(v));
        spec.grid.emplace_back(key, values);
      }
    }
    if (root["variants"]) {
      VDF_CHECK(root["variants"].IsSequence(), "{}: 'variants' must be a list of maps", sweep_where(file, root["variants"]));
      for (const auto& v : root["variants"]) spec.variants.push_back(sweep_assignments(file, v, "variants[]"));
    }
    if (root["seeds"]) {
      VDF_CHECK(root["seeds"].IsSequence(), "{}: 'seeds' must be a list of integers", sweep_where(file, root["seeds"]));
      for (const auto& s : root["seeds"]) {
        try {
          spec.seeds.push_back(s.as<int64_t>());
        } catch (const YAML::Exception&) {
          fail("{}: seed '{}' is not an integer", sweep_where(file, s), sweep_value_text(s));
        }
      }
    }
    if (root["name"]) spec.name_template = root["name"].as<std::string>();
    if (const YAML::Node s = root["slurm"]) {
      VDF_CHECK(s.IsMap(), "{}: 'slurm' must be a map", sweep_where(file, s));
      static const std::set<std::string> slurm_keys = {"cpus_per_task", "gpus", "time", "partition", "account", "extra"};
      for (const auto& kv : s)
        VDF_CHECK(slurm_keys.count(kv.first.as<std::string>()),
                  "{}: unknown slurm key '{}' (expected cpus_per_task, gpus, time, partition, account, extra)",
                  sweep_where(file, kv.first), kv.first.as<std::string>());
      try {
        if (s["cpus_per_task"]) spec.slurm.cpus_per_task = s["cpus_per_task"].as<int>();
        if (s["gpus"]) spec.slurm.gpus = s["gpus"].as<int>();
        if (s["time"]) spec.slurm.time = s["time"].as<std::string>();
        if (s["partition"]) spec.slurm.partition = s["partition"].as<std::string>();
        if (s["account"]) spec.slurm.account = s["account"].as<std::string>();
        if (s["extra"]) spec.slurm.extra = s["extra"].as<std::vector<std::string>>();
      } catch (const YAML::Exception& e) {
        fail("{}: slurm: {}", sweep_where(file, s), e.what());
      }
      VDF_CHECK(spec.slurm.cpus_per_task >= 1 && spec.slurm.gpus >= 0, "{}: slurm.cpus_per_task must be >= 1 and gpus >= 0",
                sweep_where(file, s));
    }
    return spec;
  });
}

std::vector<SweepRun> expand_sweep(const SweepSpec& spec, const fs::path& out, const ResolveConfig& resolve) {
  using Point = std::vector<std::pair<std::string, std::string>>;
  std::vector<Point> points;
  if (!spec.grid.empty()) {
    points.push_back({});
    for (const auto& [key, values] : spec.grid) {  // first key varies slowest
      std::vector<Point> next;
      for (const auto& p : points)
        for (const auto& v : values) {
          Point q = p;
          q.emplace_back(key, v);
          next.push_back(std::move(q));
        }
      points = std::move(next);
    }
  }
  for (const auto& v : spec.variants) points.push_back(v);
  if (points.empty()) points.push_back({});
  if (!spec.seeds.empty()) {
    std::vector<Point> seeded;
    for (const auto& p : points)
      for (int64_t s : spec.seeds) {
        Point q = p;
        q.emplace_back("run.seed", std::to_string(s));
        seeded.push_back(std::move(q));
      }
    points = std::move(seeded);
  }
  std::set<std::string> varied_keys;
  for (const auto& p : points)
    for (const auto& [k, v] : p) varied_keys.insert(k);

  std::vector<SweepRun> runs;
  std::map<std::string, size_t> names;
  ProgressBar bar("sweep: validating", static_cast<int64_t>(points.size()), "run");
  for (size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    std::string shown;
    for (const auto& [k, v] : p) shown += (shown.empty() ? "" : ", ") + k + "=" + v;
    SweepRun run;
    run.varied = p;
    config::Document doc = config::load_document(spec.base);
    with_context(fmt::format("sweep {}: the 'set' overrides", spec.file.string()), [&] {
      for (const auto& [k, v] : spec.set) config::apply_override(doc, k + "=" + v);
    });
    with_context(fmt::format("sweep {}: run {} ({})", spec.file.string(), i, shown), [&] {
      for (const auto& [k, v] : p) config::apply_override(doc, k + "=" + v);
    });
    run.name = spec.name_template.empty() ? sweep_safe_name(sweep_default_name(p, varied_keys))
                                          : sweep_render_name(spec.name_template, p, doc.root, i, spec.file);
    auto [it, fresh] = names.emplace(run.name, i);
    VDF_CHECK(fresh, "sweep {}: runs {} and {} would both be named '{}'; make the name template tell them apart",
              spec.file.string(), it->second, i, run.name);
    run.dir = out / run.name;
    config::apply_override(doc, "run.root=" + sweep_quote(out.string()));
    config::apply_override(doc, "run.name=" + sweep_quote(run.name));
    run.resolved_yaml = with_context(
        fmt::format("sweep {}: run '{}' ({}) is invalid", spec.file.string(), run.name, shown.empty() ? "base config" : shown),
        [&] { return resolve(doc); });
    const YAML::Node resolved = YAML::Load(run.resolved_yaml);
    run.steps = resolved["train"] && resolved["train"]["steps"] ? resolved["train"]["steps"].as<int64_t>() : 0;
    runs.push_back(std::move(run));
    bar.advance();
  }
  bar.finish();
  return runs;
}

bool run_finished(const SweepRun& run) {
  const auto ckpt = train::find_latest_checkpoint(run.dir / "checkpoints");
  if (!ckpt) return false;
  const std::string name = ckpt->filename().string();  // step_0000100
  if (name.rfind("step_", 0) != 0) return false;
  return std::stoll(name.substr(5)) >= run.steps;
}

SweepFiles sweep_files(const fs::path& out) {
  SweepFiles f;
  f.root = out / "sweep";
  f.manifest = f.root / "runs.json";
  f.configs = f.root / "configs";
  f.tasks = f.root / "tasks.txt";
  f.logs = f.root / "logs";
  f.sbatch = f.root / "array.sbatch";
  return f;
}

void write_sweep_files(const SweepSpec& spec, const std::vector<SweepRun>& runs, const SweepFiles& files) {
  with_context(fmt::format("writing the sweep files in {}", files.root.string()), [&] {
    fs::create_directories(files.configs);
    fs::create_directories(files.logs);
    write_file_atomic(files.root / "sweep.yaml", read_file(spec.file));
    nlohmann::json manifest = {{"sweep", spec.file.string()}, {"base", spec.base.string()}, {"runs", nlohmann::json::array()}};
    std::string tasks;
    for (const auto& r : runs) {
      write_file_atomic(files.config_of(r.name), r.resolved_yaml);
      nlohmann::json varied = nlohmann::json::object();
      for (const auto& [k, v] : r.varied) varied[k] = v;
      manifest["runs"].push_back({{"name", r.name}, {"varied", varied}, {"config", files.config_of(r.name).string()},
                                  {"run_dir", r.dir.string()}, {"steps", r.steps}});
      tasks += r.name + "\n";
    }
    write_file_atomic(files.manifest, manifest.dump(2) + "\n");
    write_file_atomic(files.tasks, tasks);
  });
}

std::string describe_sweep(const std::vector<SweepRun>& runs) {
  size_t width = 4;
  for (const auto& r : runs) width = std::max(width, r.name.size());
  std::string out = fmt::format("{:<4} {:<{}}  {:<9}  {}\n", "#", "name", width, "status", "swept values");
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string values;
    for (const auto& [k, v] : runs[i].varied) values += (values.empty() ? "" : ", ") + k + "=" + v;
    out += fmt::format("{:<4} {:<{}}  {:<9}  {}\n", i, runs[i].name, width, run_finished(runs[i]) ? "finished" : "to run",
                       values);
  }
  return out;
}

}  // namespace vdf::experiments
