#!/bin/bash
# Needs the Wan-family quickstart run first (configs/quickstart_wan.yaml into runs/quickstart_wan); docs/models.md.
# LoRA learning check: finetune the Wan-family quickstart model (4 colours) with a LoRA on a dataset with a
# 5th colour (magenta), then measure magenta prompts (new) and the base's held-out prompts (retention).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=PASSIVE
VDF=${VDF:-build/cuda/tools/vdf}
BASE=runs/quickstart_wan
OUT=runs/quickstart_wan_lora
CONFIG=configs/quickstart_wan.yaml
ckpt=$(ls -d $BASE/run/checkpoints/step_* | tail -1)
mkdir -p $OUT
paths=("synthetic.out_dir=$OUT/dataset" "ingest.manifest=$OUT/dataset/manifest.jsonl" "ingest.output=$OUT/latents"
       "data.shards=$OUT/latents" "run.root=$OUT" "run.name=run" "synthetic.num_colors=5")
[[ -f $OUT/dataset/manifest.jsonl ]] || $VDF synth --config $CONFIG "${paths[@]}"
$VDF ingest --config $CONFIG "${paths[@]}" ingest.progress=false
$VDF train --config $CONFIG "${paths[@]}" model.init_from=$ckpt/ema.safetensors model.lora.rank=16 model.lora.alpha=16 \
  train.steps=${LORA_STEPS:-600} train.warmup_steps=50 train.lr=2e-3 train.ema_decay=0.99 train.val_every=0 2>&1 | grep -v "train \[" | tail -5
# prompts: every magenta combination (new colour) and the base's held-out prompts (retention), 2 seeds each
: > $OUT/magenta.txt
for s in square triangle circle; do for d in up down left right; do for r in 1 2; do echo "a magenta $s moving $d" >> $OUT/magenta.txt; done; done; done
: > $OUT/retention.txt
for r in 1 2; do cat $BASE/dataset/heldout_prompts.txt >> $OUT/retention.txt; done
$VDF sample --run-dir $OUT/run --prompts $OUT/magenta.txt --out $OUT/samples/lora_magenta --weights ema 2>&1 | tail -1
$VDF sample --run-dir $BASE/run --prompts $OUT/magenta.txt --out $OUT/samples/base_magenta --weights ema 2>&1 | tail -1
$VDF sample --run-dir $OUT/run --prompts $OUT/retention.txt --out $OUT/samples/lora_retention --weights ema 2>&1 | tail -1
$VDF sample --run-dir $BASE/run --prompts $OUT/retention.txt --out $OUT/samples/base_retention --weights ema 2>&1 | tail -1
$VDF attributes --samples "lora_magenta=$OUT/samples/lora_magenta" --samples "base_magenta=$OUT/samples/base_magenta" \
  --samples "lora_retention=$OUT/samples/lora_retention" --samples "base_retention=$OUT/samples/base_retention" \
  --run-dir $OUT/run --out $OUT/report --title "Wan LoRA: new colour" 2>&1 | tail -30
