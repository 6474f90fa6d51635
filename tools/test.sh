#!/usr/bin/env bash
# Sets up (Debian packages), builds the `cpu` preset and runs the default test suite (no [slow], no
# [gpu]). Extra arguments go to ctest, e.g. `tools/test.sh -R config` or `tools/test.sh -L slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup_debian.sh
cmake --preset cpu
cmake --build build/cpu -j"$(nproc)"
if [[ $# -gt 0 ]]; then
  ctest --test-dir build/cpu --no-tests=error --output-on-failure -j"$(nproc)" "$@"
else
  ctest --test-dir build/cpu --no-tests=error --output-on-failure -j"$(nproc)" -LE "slow|gpu"
fi
