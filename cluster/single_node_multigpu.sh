#!/usr/bin/env bash
# Single node, all its GPUs, no scheduler: vdf launch starts one rank per GPU and supervises them.
#   cluster/single_node_multigpu.sh -c configs/my_experiment.yaml [key=value ...]
#   NPROC=4 cluster/single_node_multigpu.sh ...      # fewer GPUs
set -euo pipefail
VDF=${VDF:-vdf}
if [[ -z "${NPROC:-}" ]]; then
  NPROC=$(nvidia-smi -L 2>/dev/null | wc -l)
  [[ "${NPROC}" -ge 1 ]] || { echo "no GPU found (nvidia-smi -L); set NPROC" >&2; exit 1; }
fi
exec "${VDF}" launch --nproc-per-node "${NPROC}" --master-port "${MASTER_PORT:-29500}" -- "${VDF}" train "$@"
