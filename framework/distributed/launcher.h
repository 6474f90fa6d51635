// A torchrun-style process supervisor: starts N local ranks of a program with the environment contract
// of framework/distributed/env.h (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// GROUP_RANK, NNODES), prefixes their output with "[rank R] ", and supervises them: when one rank exits
// with an error or a signal, the others get SIGTERM, then SIGKILL after grace_s, and the launch fails
// naming the first failing rank and its exit code or signal. SIGINT/SIGTERM to the launcher are forwarded.
// Used by `vdf launch` (tools/vdf/cmd_launch.cpp). Linux only (prctl, pipes, poll).
#pragma once
#include <string>
#include <vector>

namespace vdf::distributed {

struct LaunchSpec {
  int nproc_per_node = 1;                 // ranks on this node
  int nnodes = 1;
  int node_rank = 0;                      // index of this node (0 hosts the rendezvous)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double grace_s = 10.0;                  // seconds between SIGTERM and SIGKILL when stopping ranks
  bool prefix_output = true;              // prefix every output line with "[rank R] "
  std::vector<std::string> command;       // program and arguments run per rank
};

// Runs the local ranks of `spec` until all have exited. Throws vdf::Error on bad options, when a rank
// fails (naming it and how every rank ended) or when the launcher was interrupted.
void launch_local_ranks(const LaunchSpec& spec);

}  // namespace vdf::distributed
