#!/usr/bin/env bash
# Run on a GPU node that has a PyTorch 2.x install with CUDA (e.g. `pip install torch`), nvcc and
# cmake, but no Debian -dev packages: unpacks the carried .gpu-deps/debs (tools/gpu/fetch_deps.sh)
# into .gpu-deps/root, then configures the `cuda` preset against the LibTorch inside PyTorch
# (CMake config from torch.utils.cmake_prefix_path; NCCL from the same install) and builds.
# Video I/O and HDF5 shards are switched off when their development files are absent.
#   tools/gpu/build_cuda.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD/.gpu-deps/root"
mkdir -p "$root"
for deb in .gpu-deps/debs/*.deb; do dpkg -x "$deb" "$root"; done
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
echo "build_cuda: torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)')"
video=ON; hdf5=ON
pkg-config --exists libavformat 2>/dev/null || video=OFF
[[ -f /usr/include/hdf5.h || -d /usr/include/hdf5 ]] || hdf5=OFF
cmake --preset cuda \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$root/usr/lib/x86_64-linux-gnu/cmake;$root/usr/share/cmake;$root/usr/lib/cmake;$root/usr/share/eigen3/cmake" \
  -DCMAKE_CXX_FLAGS="-isystem $root/usr/include" \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DVDF_WITH_VIDEO=$video -DVDF_WITH_HDF5=$hdf5 "$@"
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
cmake --build build/cuda -j"$(nproc)"
echo "build_cuda: done; run GPU tests with: LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu ctest --test-dir build/cuda -L gpu"
