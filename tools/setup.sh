#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to build, test and run vdf: the Debian packages
# (tools/setup_debian.sh) and the pinned Python environment whose torch wheel provides LibTorch 2.x with
# CUDA + NCCL (tools/setup_python.sh; pins in tools/python/requirements.txt). Idempotent and quick when
# everything is there. The CUDA toolkit (nvcc, /usr/local/cuda) must match the wheel's CUDA (13.0).
#   tools/setup.sh [--minimal]    --minimal: build dependencies only (no test oracles)
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
tools/setup_debian.sh "$@"
t1=$(date +%s)
tools/setup_python.sh >/dev/null
t2=$(date +%s)
echo "setup: Debian packages $(( t1 - t0 )) s, Python environment $(( t2 - t1 )) s ($(readlink .venv))"
