#!/usr/bin/env bash
# The main job on the embedded default, from a fresh Debian 12 machine (docs/quickstart.md):
#   tools/quickstart.sh [key.path=value overrides for configs/quickstart.yaml]
# Installs what is missing, builds the `cuda` preset (as tools/test.sh does), then: synthetic dataset (MP4 through vdf's
# writer) -> vdf ingest (TAEF2 latents + tiny CLIP text embeddings; also the shared sample videos when
# present) -> vdf train on CPU -> vdf sample of the held-out prompts with the trained and the untrained
# model -> vdf eval (FID/IS/CLIP with recipe weights, labelled non-standard) -> vdf attributes (the
# report). Prints where the report is. Re-running resumes finished stages (ingest and train resume).
# Environment: VDF (an existing vdf binary: skip setup and build; the e2e test uses it), VDF_QUICKSTART_CONFIG
# (default configs/quickstart.yaml; configs/quickstart_gpu.yaml for one GPU), VDF_QUICKSTART_OUT (default runs/quickstart), VDF_QUICKSTART_REPEATS (samples per
# held-out prompt, default 4), VDF_QUICKSTART_MIN_JOINT (fail below this joint accuracy; default off).
set -euo pipefail
cd "$(dirname "$0")/.."
# OpenMP threads that spin while waiting make a shared CPU crawl (measured 6x slower training when a
# compiler ran beside it); passive waiting costs nothing on an idle machine.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
t0=$(date +%s)
if [[ -z "${VDF:-}" ]]; then
  tools/setup.sh --minimal
  export PATH=/usr/local/cuda/bin:$PATH
  cmake --preset cuda >/dev/null  # the same build as tools/test.sh: one build serves both
  cmake --build build/cuda -j"$(nproc)" --target vdf
  VDF=build/cuda/tools/vdf
  echo "== setup + build: $(( $(date +%s) - t0 )) s"
else
  echo "== using VDF=$VDF (no setup, no build)"
fi

OUT=${VDF_QUICKSTART_OUT:-runs/quickstart}
REPEATS=${VDF_QUICKSTART_REPEATS:-4}
CONFIG=${VDF_QUICKSTART_CONFIG:-configs/quickstart.yaml}
mkdir -p "$OUT"
paths=("synthetic.out_dir=$OUT/dataset" "ingest.manifest=$OUT/dataset/manifest.jsonl" "ingest.output=$OUT/latents"
       "data.shards=$OUT/latents" "run.root=$OUT" "run.name=run")
"$VDF" config --config "$CONFIG" "${paths[@]}" "$@" > "$OUT/config.resolved.yaml"
stage() { echo; echo "== $1"; }
t1=$(date +%s)

stage "1/6 synthetic captioned dataset (coloured shapes, MP4 through vdf's writer)"
if [[ -f "$OUT/dataset/manifest.jsonl" ]]; then echo "dataset exists: $OUT/dataset"; else
  "$VDF" synth --config "$CONFIG" "${paths[@]}" "$@"; fi
t_data=$(date +%s)

stage "2/6 vdf ingest -> HDF5 latent shards (resumable)"
"$VDF" ingest --config "$CONFIG" "${paths[@]}" ingest.progress=false "$@"
shared=../shared/assets/videos
if [[ -d "$shared" ]]; then
  # Real videos of many codecs flow through the same path (not used for training).
  manifest="$OUT/shared_videos.csv"
  { echo "path,caption"; for v in "$shared"/*; do case "$v" in *.pt) ;; *) echo "$(realpath "$v"),real sample video $(basename "$v")";; esac; done; } > "$manifest"
  "$VDF" ingest --config configs/ingest/shared_videos.yaml "ingest.manifest=$manifest" "ingest.output=$OUT/latents_shared" \
    ingest.progress=false | tail -n 3
fi
t_ingest=$(date +%s)

stage "3/6 vdf train (CPU)"
"$VDF" train --config "$CONFIG" "${paths[@]}" "$@"
t_train=$(date +%s)

stage "4/6 vdf sample: held-out prompts, trained (EMA) and untrained"
prompts="$OUT/heldout_x${REPEATS}.txt"
: > "$prompts"
for _ in $(seq "$REPEATS"); do cat "$OUT/dataset/heldout_prompts.txt" >> "$prompts"; done
"$VDF" sample --run-dir "$OUT/run" --prompts "$prompts" --out "$OUT/samples/trained" --weights ema
"$VDF" sample --run-dir "$OUT/run" --prompts "$prompts" --out "$OUT/samples/untrained" --weights init
t_sample=$(date +%s)

stage "5/6 vdf eval: FID / IS / CLIP score against the training clips (recipe weights: NOT the standard numbers)"
"$VDF" eval -c "$CONFIG" --generated "$OUT/samples/trained" --reference "$OUT/dataset/clips" --prompts "$OUT/samples/trained/prompts.jsonl" \
  --metrics fid,is,clip --weights recipe --clip-weights recipe --out "$OUT/eval" --run-dir "$OUT/run" "$@" | tail -n 8 || \
  echo "vdf eval failed (see above); the report is written without distribution metrics"
t_eval=$(date +%s)

stage "6/6 report: attribute accuracy, trained vs untrained, frames, loss curve"
metrics=()
[[ -f "$OUT/eval/report.json" ]] && metrics=(--metrics "$OUT/eval/report.json")
min_joint=()
[[ -n "${VDF_QUICKSTART_MIN_JOINT:-}" ]] && min_joint=(--min-joint "$VDF_QUICKSTART_MIN_JOINT")
"$VDF" attributes --samples "trained=$OUT/samples/trained" --samples "untrained=$OUT/samples/untrained" \
  --run-dir "$OUT/run" "${metrics[@]}" "${min_joint[@]}" --out "$OUT/report" --title "vdf quickstart"
t_end=$(date +%s)

echo
echo "== wall time (build excluded): dataset $((t_data - t1)) s, ingest $((t_ingest - t_data)) s, train $((t_train - t_ingest)) s," \
     "sample $((t_sample - t_train)) s, eval $((t_eval - t_sample)) s, report $((t_end - t_eval)) s; total $((t_end - t1)) s"
echo "quickstart report: $OUT/report/report.html (attributes: $OUT/report/attributes.json)"
