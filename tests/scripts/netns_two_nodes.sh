#!/usr/bin/env bash
# Two "nodes" as two network namespaces joined by a veth pair (10.213.X.1 <-> 10.213.X.2); each runs
# `vdf launch --nnodes 2 --node-rank K --nproc-per-node 2` of PROGRAM (4 ranks in all, Gloo over the
# veth link). Namespaces are removed on exit, also on failure.
#   tests/scripts/netns_two_nodes.sh VDF_EXE PORT PROGRAM [ARGS...]
# Exit: 0 when both nodes succeed; 77 = network namespaces not permitted here -> test skips.
set -uo pipefail
vdf=$1; port=$2; shift 2
skip() { echo "netns_two_nodes: SKIP: $*"; exit 77; }
command -v ip >/dev/null || skip "iproute2 not installed"
x=$(( $$ % 250 + 1 ))
a="vdfA$$"; b="vdfB$$"
cleanup() { ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$a" 2>/dev/null || skip "ip netns add not permitted (needs root / CAP_SYS_ADMIN)"
ip netns add "$b" || skip "ip netns add not permitted"
ip link add "va$$" type veth peer name "vb$$" || skip "cannot create a veth pair"
ip link set "va$$" netns "$a" && ip link set "vb$$" netns "$b" || exit 1
ip -n "$a" addr add "10.213.$x.1/24" dev "va$$" && ip -n "$b" addr add "10.213.$x.2/24" dev "vb$$" || exit 1
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "va$$" up && ip -n "$b" link set "vb$$" up || exit 1
ip netns exec "$a" ping -c1 -W2 "10.213.$x.2" >/dev/null 2>&1 || echo "netns_two_nodes: (ping unavailable or failed; continuing)"
master="10.213.$x.1"
GLOO_SOCKET_IFNAME="va$$" ip netns exec "$a" "$vdf" launch --nnodes 2 --node-rank 0 --nproc-per-node 2 \
  --master-addr "$master" --master-port "$port" --grace-s 3 -- "$@" 2>&1 | sed 's/^/[node 0] /' &
pa=$!
GLOO_SOCKET_IFNAME="vb$$" ip netns exec "$b" "$vdf" launch --nnodes 2 --node-rank 1 --nproc-per-node 2 \
  --master-addr "$master" --master-port "$port" --grace-s 3 -- "$@" 2>&1 | sed 's/^/[node 1] /' &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
echo "netns_two_nodes: node 0 exit $ra, node 1 exit $rb"
[[ $ra == 0 && $rb == 0 ]]
