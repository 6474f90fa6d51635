#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan; each target compiles only the sources it exercises,
# see tools/CMakeLists.txt) and runs each for SECONDS (default 60) on a scratch copy of its committed
# seed corpus tests/fuzz_corpus/<name>/. Crash inputs go to build/fuzz/artifacts/<name>/. Exits non-zero
# when any target finds a crash, a leak or a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! ls tools/fuzz/*.cpp >/dev/null 2>&1; then
  echo "fuzz: no fuzz targets"; exit 0
fi
start=$(date +%s)
cmake --preset fuzz >/dev/null
targets=()
for src in tools/fuzz/*.cpp; do targets+=("vdf_fuzz_$(basename "$src" .cpp)"); done
cmake --build build/fuzz -j"$(nproc)" --target "${targets[@]}"
echo "fuzz: configure + build took $(( $(date +%s) - start )) s"
failed=()
for src in tools/fuzz/*.cpp; do
  name=$(basename "$src" .cpp)
  scratch=$(mktemp -d)
  artifacts="build/fuzz/artifacts/${name}/"
  mkdir -p "$artifacts"
  if [[ -d "tests/fuzz_corpus/${name}" ]]; then cp -r "tests/fuzz_corpus/${name}/." "$scratch/"; fi
  echo "fuzz: ${name} for ${seconds}s"
  rc=0
  "build/fuzz/tools/vdf_fuzz_${name}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$scratch" >"build/fuzz/${name}.log" 2>&1 || rc=$?
  tail -n 8 "build/fuzz/${name}.log"
  if ((rc != 0)); then
    echo "fuzz: ${name} FAILED (exit ${rc}); input in ${artifacts}, log build/fuzz/${name}.log"
    failed+=("$name")
  fi
  rm -rf "$scratch"
done
if ((${#failed[@]})); then
  echo "fuzz: failures in: ${failed[*]}"; exit 1
fi
echo "fuzz: all targets ran clean for ${seconds}s each"
