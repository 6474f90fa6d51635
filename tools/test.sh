#!/usr/bin/env bash
# Sets up (Debian packages + the pinned Python environment), builds the `cuda` preset (LibTorch 2.x with
# CUDA and NCCL: the one build that serves the tests, the main job and the GPU node) and runs the default
# test suite (no [slow], no [gpu]; the CPU paths of the CUDA-enabled LibTorch run without a GPU or driver).
# Extra arguments go to ctest, e.g. `tools/test.sh -R config` or `tools/test.sh -L slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# Two test processes share the 2 cores (ctest -j) and each runs LibTorch's OpenMP pool: threads that spin
# while waiting starve the others (measured: a tiny DiT's steps 1.5 s instead of ~0.1 s under load).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
export PATH=/usr/local/cuda/bin:$PATH
cmake --preset cuda >/dev/null
cmake --build build/cuda -j"$(nproc)"
if [[ $# -gt 0 ]]; then
  ctest --test-dir build/cuda --no-tests=error --output-on-failure -j"$(nproc)" "$@"
else
  ctest --test-dir build/cuda --no-tests=error --output-on-failure -j"$(nproc)" -LE "slow|gpu"
fi
