// `vdf launch --nproc-per-node N [--nnodes M --node-rank K --master-addr A --master-port P] -- PROGRAM ARGS...`
// Starts and supervises N local ranks of PROGRAM (framework/distributed/launcher.h describes the contract).
#include "framework/distributed/launcher.h"
#include "tools/vdf/command.h"

namespace {

void setup(CLI::App& app) {
  auto o = std::make_shared<vdf::distributed::LaunchSpec>();
  auto no_prefix = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "launch", "Start and supervise N local ranks of a data-parallel job (torchrun-style): vdf launch "
                "--nproc-per-node 2 -- vdf train -c cfg.yaml");
  cmd->add_option("--nproc-per-node", o->nproc_per_node, "ranks on this node (one per GPU)");
  cmd->add_option("--nnodes", o->nnodes, "number of nodes");
  cmd->add_option("--node-rank", o->node_rank, "index of this node (0 hosts the rendezvous)");
  cmd->add_option("--master-addr", o->master_addr, "address of node 0 (rendezvous host)");
  cmd->add_option("--master-port", o->master_port, "rendezvous TCP port");
  cmd->add_option("--grace-s", o->grace_s, "seconds between SIGTERM and SIGKILL when stopping ranks");
  cmd->add_flag("--no-prefix", *no_prefix, "do not prefix output lines with [rank R]");
  // Note: CLI11 splits an argument that is entirely "[a,b]" into a and b; rank programs that need such an
  // argument verbatim should get it through a file or the environment.
  cmd->add_option("command", o->command, "program and arguments to run per rank (after --)")->required();
  cmd->callback([o, no_prefix] {
    o->prefix_output = !*no_prefix;
    vdf::distributed::launch_local_ranks(*o);
  });
}

}  // namespace

VDF_REGISTER_COMMAND(launch, setup);
