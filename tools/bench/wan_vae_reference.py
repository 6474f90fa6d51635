#!/usr/bin/python3
"""Reference side of tools/bench/wan_vae.cpp: diffusers' AutoencoderKLWan (the pinned diffusers) encodes
the clip the benchmark wrote, with the weights vdf wrote (diffusers names), on CPU with the same threads.

Prints one JSON line {"encode_ms": [...], "rss_before_mb": ..., "peak_rss_mb": ..., "encode_peak_rss_mb": ...}
(the encode's own peak: VmHWM reset after loading) and saves the
normalized posterior mean to --output so the benchmark can check both sides computed the same thing.
"""
import argparse
import json
import resource
import time

import torch
from safetensors.torch import load_file, save_file
from diffusers import AutoencoderKLWan


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def hwm_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tile", type=int, default=0, help="tile size in pixels (0 = untiled)")
    ap.add_argument("--tile-stride", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    vae = AutoencoderKLWan().eval()  # the Wan 2.1 architecture (base_dim 96, z_dim 16)
    vae.load_state_dict(load_file(a.weights), strict=True)
    if a.tile:
        vae.enable_tiling(a.tile, a.tile, a.tile_stride, a.tile_stride)
    video = load_file(a.input)["video"]
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    before = rss_mb()
    reset_peak()
    times = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        z = (vae.encode(video * 2 - 1).latent_dist.mean - mean) * inv_std
        times.append((time.perf_counter() - t0) * 1000)
    encode_peak = hwm_mb()
    save_file({"latents": z.contiguous()}, a.output)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"encode_ms": times, "rss_before_mb": before, "peak_rss_mb": peak, "encode_peak_rss_mb": encode_peak,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
