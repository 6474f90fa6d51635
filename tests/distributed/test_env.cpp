// Launch environment contract: SLURM host lists, tasks-per-node, torchrun and SLURM variable mapping.
#include <catch2/catch.hpp>

#include <map>

#include "app/config.h"
#include "framework/core/error.h"
#include "framework/distributed/env.h"

using namespace vdf::distributed;
using Strings = std::vector<std::string>;

namespace {
LaunchEnv from(const std::map<std::string, std::string>& vars) {
  return launch_env_from([&](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}
}  // namespace

TEST_CASE("SLURM compressed host lists expand like scontrol show hostnames", "[unit]") {
  CHECK(expand_hostlist("node[01-03,07],gpu5") == Strings{"node01", "node02", "node03", "node07", "gpu5"});
  CHECK(expand_hostlist("n[08-11]") == Strings{"n08", "n09", "n10", "n11"});
  CHECK(expand_hostlist("a,b") == Strings{"a", "b"});
  CHECK(expand_hostlist("r[1-2]n[1-2]") == Strings{"r1n1", "r1n2", "r2n1", "r2n2"});
  CHECK(expand_hostlist("x[9-10]-ib") == Strings{"x9-ib", "x10-ib"});
  CHECK(expand_hostlist("host-01") == Strings{"host-01"});
  CHECK_THROWS_WITH(expand_hostlist("node[01-03"), Catch::Contains("unmatched"));
  CHECK_THROWS_WITH(expand_hostlist("node[3-1]"), Catch::Contains("bad range"));
  CHECK_THROWS_WITH(expand_hostlist("node[a-b]"), Catch::Contains("bad range"));
  CHECK_THROWS(expand_hostlist(""));
}

TEST_CASE("SLURM_TASKS_PER_NODE expands repeat counts", "[unit]") {
  CHECK(expand_tasks_per_node("2(x3),1") == std::vector<int>{2, 2, 2, 1});
  CHECK(expand_tasks_per_node("4") == std::vector<int>{4});
  CHECK_THROWS_WITH(expand_tasks_per_node("2(x"), Catch::Contains("bad item"));
}

TEST_CASE("launch environment: none, torchrun style, SLURM style", "[unit]") {
  auto single = from({});
  CHECK(single.world_size == 1);
  CHECK(single.source == "default");
  CHECK_FALSE(single.distributed());

  auto e = from({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                 {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1234"}});
  CHECK(e.source == "env");
  CHECK(e.rank == 3);
  CHECK(e.world_size == 4);
  CHECK(e.local_rank == 1);
  CHECK(e.local_world_size == 2);
  CHECK(e.master_addr == "10.0.0.1");
  CHECK(e.master_port == 1234);

  auto s = from({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"SLURM_NODEID", "2"},
                 {"SLURM_TASKS_PER_NODE", "2(x3),2"}, {"SLURM_JOB_NODELIST", "gpu[07-10]"}, {"SLURM_JOB_ID", "123456"}});
  CHECK(s.source == "slurm");
  CHECK(s.rank == 5);
  CHECK(s.world_size == 8);
  CHECK(s.local_rank == 1);
  CHECK(s.local_world_size == 2);
  CHECK(s.master_addr == "gpu07");
  CHECK(s.master_port == 20000 + 123456 % 20000);

  // torchrun variables win over SLURM's (vdf launch inside an salloc).
  auto both = from({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "4"}});
  CHECK(both.source == "env");
  CHECK(both.world_size == 2);
  // SLURM_NTASKS_PER_NODE (set with --ntasks-per-node) and an explicit MASTER_PORT.
  auto s2 = from({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_NTASKS_PER_NODE", "4"},
                  {"SLURM_JOB_NODELIST", "cn1"}, {"MASTER_PORT", "29999"}});
  CHECK(s2.local_world_size == 4);
  CHECK(s2.master_port == 29999);
}

TEST_CASE("launch environment errors name the variable", "[unit]") {
  CHECK_THROWS_WITH(from({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), Catch::Contains("rank 2 is not below world size 2"));
  CHECK_THROWS_WITH(from({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), Catch::Contains("RANK='x'"));
  CHECK_THROWS_WITH(from({{"RANK", "0"}}), Catch::Contains("RANK and WORLD_SIZE must be set together"));
  CHECK_THROWS_WITH(from({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}),
                    Catch::Contains("master port 70000"));
}

TEST_CASE("distributed config section validates", "[unit]") {
  auto cfg = vdf::config::parse_config("distributed:\n  backend: gloo\n  timeout_s: 5\n  bucket_mb: 1\n");
  CHECK(cfg.distributed.backend == vdf::config::DistBackend::gloo);
  CHECK(cfg.distributed.timeout_s == 5.0);
  CHECK_THROWS_WITH(vdf::config::parse_config("distributed:\n  backend: mpi\n"),
                    Catch::Contains("distributed.backend"));
  CHECK_THROWS_WITH(vdf::config::parse_config("distributed:\n  timeout_s: 0\n"),
                    Catch::Contains("distributed.timeout_s"));
}
