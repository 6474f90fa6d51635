"""Reference side of tools/bench/wan_cpu.cpp: one training step (rectified-flow velocity loss, forward +
backward + AdamW) of diffusers' WanTransformer3DModel (the pinned diffusers) on CPU, same shapes and threads
as the vdf side. Prints one JSON line {"step_ms": median, "steps_ms": [...], "peak_rss_mb", "params", "loss"}.
"""
import argparse
import json
import resource
import time

import torch

p = argparse.ArgumentParser()
for a in ["dim", "layers", "heads", "ffn", "batch", "text_len", "text_dim", "threads", "warmup", "steps"]:
    p.add_argument("--" + a.replace("_", "-"), type=int, required=True)
p.add_argument("--latent", type=int, nargs=4, required=True)
p.add_argument("--grad-checkpointing", type=int, default=0)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

from diffusers import WanTransformer3DModel  # noqa: E402

C, T, H, W = args.latent
model = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=args.heads,
                              attention_head_dim=args.dim // args.heads, in_channels=C, out_channels=C,
                              text_dim=args.text_dim, freq_dim=256, ffn_dim=args.ffn, num_layers=args.layers,
                              cross_attn_norm=True, eps=1e-6, rope_max_seq_len=1024)
if args.grad_checkpointing:
    model.enable_gradient_checkpointing()
model.train()
with torch.no_grad():
    for prm in model.parameters():
        prm.normal_(0, 0.02)
params = sum(prm.numel() for prm in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
B = args.batch
x0 = torch.randn(B, C, T, H, W)
noise = torch.randn_like(x0)
t = torch.rand(B)
ctx = torch.randn(B, args.text_len, args.text_dim)
times = []
loss_v = 0.0
for i in range(args.warmup + args.steps):
    start = time.perf_counter()
    tt = t.view(B, 1, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * noise
    pred = model(xt, t * 1000, ctx, return_dict=False)[0]
    loss = ((pred - (noise - x0)) ** 2).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    loss_v = loss.item()
    if i >= args.warmup:
        times.append((time.perf_counter() - start) * 1000)
s = sorted(times)
print(json.dumps({"step_ms": s[len(s) // 2], "steps_ms": times,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "params": params,
                  "loss": loss_v, "threads": torch.get_num_threads()}))
