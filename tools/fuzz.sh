#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for SECONDS (default 60) on its
# committed seed corpus tests/fuzz_corpus/<name>/ (new inputs go to a scratch copy, not the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! ls tools/fuzz/*.cpp >/dev/null 2>&1; then
  echo "fuzz: no fuzz targets"; exit 0
fi
cmake --preset fuzz >/dev/null
for src in tools/fuzz/*.cpp; do
  name=$(basename "$src" .cpp)
  cmake --build build/fuzz -j"$(nproc)" --target "vdf_fuzz_${name}"
  scratch=$(mktemp -d)
  if [[ -d "tests/fuzz_corpus/${name}" ]]; then cp -r "tests/fuzz_corpus/${name}/." "$scratch/"; fi
  echo "fuzz: ${name} for ${seconds}s"
  "build/fuzz/tools/vdf_fuzz_${name}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$scratch" 2>&1 | tail -n 15
  rm -rf "$scratch"
done
