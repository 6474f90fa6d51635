#!/usr/bin/env bash
# Creates the Python virtual environment that vdf builds against (LibTorch from the pinned `torch`
# wheel) and that tests/benchmarks use as their reference (diffusers, transformers, scipy, ...).
# Pins: tools/python/requirements.txt. The environment lives in ~/.cache/vdf/venv-<hash of the pins>
# (override: VDF_VENV_ROOT), so every clone on a machine shares one 5 GB install and a change of pins
# makes a new one; `.venv` in the checkout is a link to it (CMake and the tests look there).
# Idempotent: an environment whose install finished (marker file) is reused without asking PyPI.
#   tools/setup_python.sh          prints the environment's path on its last line
set -euo pipefail
cd "$(dirname "$0")/.."
pins=tools/python/requirements.txt
hash=$(sha256sum "$pins" | cut -c1-12)
root=${VDF_VENV_ROOT:-$HOME/.cache/vdf}
venv="$root/venv-$hash"
python=${VDF_BOOTSTRAP_PYTHON:-python3}
if [[ ! -f "$venv/.vdf-complete" ]]; then
  echo "setup_python: creating $venv from $pins"
  rm -rf "$venv"
  mkdir -p "$root"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  # --no-deps: the file lists the full resolved set, so nothing unpinned slips in.
  "$venv/bin/pip" install -q --no-deps -r "$pins"
  "$venv/bin/python" -c "import torch; assert torch.version.cuda, 'the torch wheel has no CUDA'; print('setup_python: torch', torch.__version__, 'CUDA', torch.version.cuda)"
  touch "$venv/.vdf-complete"
fi
ln -sfn "$venv" .venv
echo "$venv"
