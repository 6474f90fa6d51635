#!/usr/bin/env bash
# The GPU check, run ON the GPU node from the repository root after tools/gpu/pack.sh packed .gpu-pack/
# here: `vdf --version`, the [gpu] Catch2 cases (VDF_REQUIRE_GPU=1: a missing device fails) and a short
# `vdf train` on CUDA (configs/train/tiny_cuda.yaml). Uses the node's own PyTorch install for LibTorch.
# Everything it prints also lands in $OUT/gpu_check.log (default .gpu-pack/out) for docs/gpu.md.
#   bash tools/gpu/check.sh            (device tool: carry [".gpu-pack"], timeout well under 10 min)
set -uo pipefail
cd "$(dirname "$0")/../.."
pack=.gpu-pack
out=${OUT:-$pack/out}
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1
python=${VDF_PYTHON:-python3}
torch_lib=$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$PWD/$pack/lib:$torch_lib:${LD_LIBRARY_PATH:-}"
echo "== node"; cat "$pack/manifest.txt"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
"$python" -c 'import torch; print("node torch", torch.__version__, "CUDA", torch.version.cuda)'
status=0
echo "== vdf --version"; "$pack/bin/vdf" --version || status=1
echo "== [gpu] tests"
VDF_REQUIRE_GPU=1 timeout 300 "$pack/bin/vdf_test_gpu" "[gpu]" --durations yes || status=1
echo "== vdf train on CUDA (1 rank)"
timeout 200 "$pack/bin/vdf" train --config configs/train/tiny_cuda.yaml "run.root=$out/runs" || status=1
tail -n 3 "$out/runs/tiny_cuda/metrics.jsonl" 2>/dev/null
echo "== gpu check exit status: $status"
exit $status
