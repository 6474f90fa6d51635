#!/usr/bin/env bash
# Installs the Debian 12 packages vdf needs to build, test and run. Idempotent: packages already
# installed are skipped, and apt-get is only called when something is missing. LibTorch and the Python
# reference packages come from PyPI instead (tools/setup_python.sh); tools/setup.sh runs both.
#   tools/setup_debian.sh            build + test dependencies
#   tools/setup_debian.sh --minimal  build dependencies only
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libgloo-dev                                    # Gloo headers for c10d's ProcessGroupGloo (the torch wheel
                                                 # carries the library inside libtorch_cpu, not the headers)
  python3 python3-venv                           # the venv whose pinned torch wheel provides LibTorch 2.x
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev   # FFmpeg video I/O
  libhdf5-dev libeigen3-dev zlib1g-dev
  libssl-dev                                     # OpenSSL libcrypto: SHA-1 / SHA-256 (EVP)
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  catch2
  libsentencepiece-dev                           # exact T5 / UMT5 SentencePiece tokenizer
)
TEST_PKGS=(
  ffmpeg                                         # test oracle (frame selection, pixels)
  clang libclang-rt-14-dev                       # libFuzzer targets
  slurm-wlm munge                                # real local SLURM for the cluster tests
  iproute2                                       # network namespaces for the multi-node test
  chromium                                       # HTML report test (headless)
  sentencepiece                                  # spm_train: tests train a small SentencePiece model
)

pkgs=("${BUILD_PKGS[@]}")
if [[ "${1:-}" != "--minimal" ]]; then
  pkgs+=("${TEST_PKGS[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup_debian: all ${#pkgs[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup_debian: installing ${#missing[@]} packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
echo "setup_debian: done"
