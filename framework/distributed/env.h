// The launch environment contract of a distributed vdf process (docs/distributed.md):
//   RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT   (torchrun / vdf launch / k8s)
// or, when RANK is absent, the SLURM variables of an `srun` task mapped onto them:
//   SLURM_PROCID -> RANK, SLURM_NTASKS -> WORLD_SIZE, SLURM_LOCALID -> LOCAL_RANK,
//   SLURM_NTASKS_PER_NODE / SLURM_TASKS_PER_NODE (entry SLURM_NODEID) -> LOCAL_WORLD_SIZE,
//   first host of SLURM_JOB_NODELIST -> MASTER_ADDR, 20000 + SLURM_JOB_ID % 20000 -> MASTER_PORT.
// Nothing set at all means a single process (world size 1). Pure functions, no LibTorch.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vdf::distributed {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "default";  // "env" | "slurm" | "default" (no variables: one process)

  bool distributed() const { return world_size > 1; }
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the contract through `lookup` (tests pass a map); throws vdf::Error naming the variable and
// its value when something is malformed or inconsistent (e.g. RANK >= WORLD_SIZE).
LaunchEnv launch_env_from(const EnvLookup& lookup);
// The same from this process's environment.
LaunchEnv launch_env();

// Expands a SLURM compressed host list: "node[01-03,07],gpu5" -> node01 node02 node03 node07 gpu5.
// Zero padding is kept ("n[08-10]" -> n08 n09 n10); several bracket groups in one name
// ("r[1-2]n[1-2]") expand as a product. Throws vdf::Error on malformed input.
std::vector<std::string> expand_hostlist(const std::string& list);
// Expands SLURM_TASKS_PER_NODE: "2(x3),1" -> 2 2 2 1.
std::vector<int> expand_tasks_per_node(const std::string& text);

}  // namespace vdf::distributed
