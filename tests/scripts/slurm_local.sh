#!/usr/bin/env bash
# Starts a throw-away local SLURM (munged + slurmctld + slurmd, all state in WORKDIR), submits
# cluster/slurm_cpu.sbatch with the environment given (VDF_PROGRAM etc. are exported to the job), waits
# for it and stops every daemon again, also on failure or interruption.
#   tests/scripts/slurm_local.sh WORKDIR [extra sbatch args] [-- batch script args (vdf train args)]
#   SLURM_LOCAL_COMMAND="shell command" tests/scripts/slurm_local.sh WORKDIR   # runs that command instead
# Exit: the job's exit code; 77 = SLURM cannot run here (not root, packages missing) -> test skips.
set -uo pipefail
work=$1; shift
sbatch_args=(); script_args=()
while [[ $# -gt 0 && $1 != "--" ]]; do sbatch_args+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
script_args=("$@")
repo=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "slurm_local: SKIP: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "needs root (slurmd runs jobs as any user)"
for p in munged slurmctld slurmd sbatch; do command -v "$p" >/dev/null || skip "$p not installed (tools/setup_debian.sh installs slurm-wlm munge)"; done

mkdir -p "$work"/{munge,state,spool,log}
chmod 700 "$work/munge"
host=$(hostname -s)
conf="$work/slurm.conf"
base=$(( 30000 + ($$ % 5000) * 2 ))

cleanup() {
  set +e
  [[ -f "$work/slurmd.pid" ]] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null
  [[ -f "$work/slurmctld.pid" ]] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null
  sleep 1
  [[ -f "$work/slurmd.pid" ]] && kill -9 "$(cat "$work/slurmd.pid")" 2>/dev/null
  [[ -f "$work/slurmctld.pid" ]] && kill -9 "$(cat "$work/slurmctld.pid")" 2>/dev/null
  [[ -f "$work/munge/munged.pid" ]] && kill "$(cat "$work/munge/munged.pid")" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.sock" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" \
  || skip "munged does not start: $(tail -2 "$work/munge/munged.log" 2>/dev/null)"

cat > "$conf" <<CONF
ClusterName=vdftest
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host CPUs=$(nproc --all) State=UNKNOWN
PartitionName=vdf Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$conf
slurmctld -f "$conf" -i || skip "slurmctld does not start: $(tail -3 "$work/log/slurmctld.log")"
slurmd -f "$conf" || skip "slurmd does not start: $(tail -3 "$work/log/slurmd.log")"
for _ in $(seq 1 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE "idle|mix" && break
  sleep 0.5
done
sinfo -h -o "%P %T %C" || true
if [[ -n "${SLURM_LOCAL_COMMAND:-}" ]]; then
  # Any command against this SLURM instead of the CPU batch script (tests/experiments: `vdf sweep --slurm --wait`).
  timeout 300 bash -c "$SLURM_LOCAL_COMMAND"
  rc=$?
  if [[ $rc != 0 ]]; then
    echo "---- squeue ----"; squeue -a 2>&1 | tail -5
    echo "---- slurmctld.log (tail) ----"; tail -20 "$work/log/slurmctld.log"
  fi
  echo "slurm_local: command exit code $rc"
  exit $rc
fi
out="$work/job.out"
timeout 150 sbatch --wait --chdir="$work" --output="$out" --export=ALL "${sbatch_args[@]}" "$repo/cluster/slurm_cpu.sbatch" "${script_args[@]}"
rc=$?
echo "---- job output ($out) ----"
cat "$out" 2>/dev/null
if [[ $rc != 0 ]]; then
  echo "---- squeue ----"; squeue -a 2>&1 | tail -5
  echo "---- slurmctld.log (tail) ----"; tail -20 "$work/log/slurmctld.log"
  echo "---- slurmd.log (tail) ----"; tail -20 "$work/log/slurmd.log"
fi
echo "slurm_local: sbatch exit code $rc"
exit $rc
