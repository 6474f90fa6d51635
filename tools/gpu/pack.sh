#!/usr/bin/env bash
# Packs what the GPU node needs to run vdf's GPU checks, built HERE (the node has no FFmpeg/HDF5
# development files and no package registry, but its own PyTorch 2.11.0 with CUDA 13.0, whose LibTorch
# the binaries load there): the stripped `vdf` and `vdf_test_gpu` of the `gpunode` preset (the `cuda`
# preset without FFmpeg/HDF5: FFmpeg's codec libraries alone are ~170 MiB) and every shared library they
# need that is neither LibTorch's (torch/lib, the nvidia-* wheels) nor the C library's.
# Result: .gpu-pack/ (ignored by git), at most 60 MiB, carried with the device tool (`carry`) and run
# there by tools/gpu/check.sh. The first build of the preset takes ~25 minutes on 2 cores.
#   tools/gpu/pack.sh [build dir: skip configure + build and pack that one]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ $# -gt 0 ]]; then
  build=$1
else
  build=build/gpunode
  export PATH=/usr/local/cuda/bin:$PATH
  cmake --preset gpunode >/dev/null
  cmake --build "$build" -j"$(nproc)" --target vdf vdf_test_gpu
fi
out=.gpu-pack
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
bins=("$build/tools/vdf" "$build/tests/vdf_test_gpu")
for b in "${bins[@]}"; do
  [[ -x "$b" ]] || { echo "pack: $b missing: build it first (cmake --build $build --target vdf vdf_test_gpu)" >&2; exit 1; }
  strip -o "$out/bin/$(basename "$b")" "$b"
done
# Shared libraries from ldd, minus LibTorch + CUDA (the node has its own), glibc (the node's loader must
# match its own libc) and the C++ runtime (Debian's libstdc++ would demand glibc 2.36 of the node; the
# node's own, which its PyTorch uses, is new enough when it has GLIBCXX below).
skip='/torch/lib/|/nvidia/|/libc\.so|/libm\.so|/libdl\.so|/librt\.so|/libpthread\.so|/libutil\.so|/ld-linux|linux-vdso|/libcuda\.so|/libstdc\+\+\.so|/libgcc_s\.so'
for b in "${bins[@]}"; do
  ldd "$b" | awk '/=> \//{print $3}' | grep -Ev "$skip" || true
done | sort -u | while read -r lib; do cp -L "$lib" "$out/lib/"; done
strip --strip-unneeded "$out"/lib/*.so* 2>/dev/null || true
glibc=$(objdump -T "$out"/bin/* "$out"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
glibcxx=$(objdump -T "$out"/bin/* "$out"/lib/* 2>/dev/null | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1)
size=$(du -sm "$out" | cut -f1)
{
  echo "built: $(date -u +%FT%TZ) git $(git rev-parse --short=12 HEAD)$(git diff --quiet || echo '+dirty')"
  echo "needs: LibTorch $("$build/tools/vdf" --version | sed -n 's/^LibTorch //p') on the node, glibc >= ${glibc#GLIBC_}, libstdc++ with ${glibcxx}"
  echo "size: ${size} MiB ($(ls "$out/lib" | wc -l) libraries)"
} | tee "$out/manifest.txt"
if (( size > 60 )); then echo "pack: ${size} MiB exceeds the 60 MiB budget (device tool carries 64 MiB)" >&2; exit 1; fi
