#!/usr/bin/env bash
# Run on a Debian 12 machine WITH package access (e.g. a login node or this dev box). Downloads the
# .deb packages of the small C++ dependencies vdf needs but a bare GPU node lacks (yaml-cpp, fmt,
# spdlog, CLI11, nlohmann-json, Eigen, Catch2) into .gpu-deps/debs, to be carried to the GPU node.
# LibTorch, CUDA and NCCL come from the GPU node's PyTorch install; FFmpeg and HDF5 are optional
# (the trainer builds without them). See docs/gpu.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu-deps/debs
cd .gpu-deps/debs
pkgs=(libyaml-cpp-dev libyaml-cpp0.7 libfmt-dev libfmt9 libspdlog-dev libspdlog1.10 libcli11-dev
      nlohmann-json3-dev libeigen3-dev catch2)
apt-get download "${pkgs[@]}"
ls -la
