#!/usr/bin/python3
"""Reference of the vdf video DiT in plain PyTorch (Debian's python3-torch 1.13), for the CPU training
step benchmark tools/bench/dit_cpu.cpp. Same architecture, same parameter names (state_dict keys equal
the vdf safetensors keys), same initialization scheme; see docs/dit.md.

Run by the benchmark as a child process: prints one JSON line
{"step_ms": median, "steps_ms": [...], "peak_rss_mb": ..., "params": ..., "loss": ...}.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def sdpa(q, k, v, mask=None):
    # torch 1.13 has no F.scaled_dot_product_attention; this is the same math as vdf::compat's 1.13 path.
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    return torch.matmul(torch.softmax(s, -1), v)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight.float()).to(x.dtype)


def rope_tables(axes, grid, theta=10000.0):
    T, H, W = grid
    t = torch.arange(T, dtype=torch.float64).view(-1, 1, 1).expand(T, H, W).reshape(-1)
    h = torch.arange(H, dtype=torch.float64).view(1, -1, 1).expand(T, H, W).reshape(-1)
    w = torch.arange(W, dtype=torch.float64).view(1, 1, -1).expand(T, H, W).reshape(-1)
    angles = []
    for pos, d in zip((t, h, w), axes):
        if d == 0:
            continue
        freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
        angles.append((pos.view(-1, 1) * freqs.view(1, -1)).repeat_interleave(2, 1))
    a = torch.cat(angles, 1)
    return torch.cos(a).float(), torch.sin(a).float()


def apply_rope(x, cos, sin):
    xf = x.float()
    pairs = xf.unflatten(-1, (xf.size(-1) // 2, 2))
    rot = torch.stack((-pairs[..., 1], pairs[..., 0]), -1).flatten(-2)
    return (xf * cos + rot * sin).to(x.dtype)


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads, qk_norm):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        if qk_norm:
            self.q_norm, self.k_norm = RMSNorm(self.head_dim), RMSNorm(self.head_dim)
        else:
            self.q_norm = self.k_norm = None
        self.proj = nn.Linear(hidden, hidden)

    def forward(self, x, cos, sin):
        G, L, D = x.shape
        q, k, v = self.qkv(x).view(G, L, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if cos is not None:
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        o = sdpa(q, k, v)
        return self.proj(o.transpose(1, 2).reshape(G, L, D))


class CrossAttention(nn.Module):
    def __init__(self, hidden, heads, qk_norm):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.kv = nn.Linear(hidden, 2 * hidden)
        if qk_norm:
            self.q_norm, self.k_norm = RMSNorm(self.head_dim), RMSNorm(self.head_dim)
        else:
            self.q_norm = self.k_norm = None
        self.proj = nn.Linear(hidden, hidden)

    def forward(self, x, ctx, mask):
        B, N, D = x.shape
        L = ctx.size(1)
        q = self.q(x).view(B, N, self.heads, self.head_dim).transpose(1, 2)
        k, v = self.kv(ctx).view(B, L, 2, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        has = mask.any(-1)
        open_mask = mask | (~has).unsqueeze(-1)
        o = sdpa(q, k, v, open_mask.view(B, 1, 1, L)).transpose(1, 2).reshape(B, N, D)
        return self.proj(o) * has.to(o.dtype).view(B, 1, 1)


class Mlp(nn.Module):
    def __init__(self, hidden, inner):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(hidden, inner), nn.Linear(inner, hidden)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class Projection(nn.Module):
    def __init__(self, i, h, o, act):
        super().__init__()
        self.fc1, self.fc2, self.act = nn.Linear(i, h), nn.Linear(h, o), act

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(F.silu(h) if self.act == "silu" else F.gelu(h, approximate="tanh"))


class Block(nn.Module):
    def __init__(self, hidden, heads, inner, qk_norm, mode):
        super().__init__()
        self.mode = mode
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.attn = SelfAttention(hidden, heads, qk_norm)
        self.norm2 = nn.LayerNorm(hidden, eps=1e-6)
        self.cross_attn = CrossAttention(hidden, heads, qk_norm)
        self.norm3 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(hidden, inner)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 6 * hidden))

    def forward(self, x, c, text, mask, cos, sin, grid):
        B, N, D = x.shape
        hd = self.attn.head_dim
        m = self.adaLN_modulation(c).chunk(6, 1)
        h = modulate(self.norm1(x), m[0], m[1])
        T, S = grid[0], grid[1] * grid[2]
        if self.mode == "full":
            cs = sn = None
            if cos is not None:
                cs, sn = cos.view(1, 1, N, hd), sin.view(1, 1, N, hd)
            h = self.attn(h, cs, sn)
        elif self.mode == "spatial":
            cs = sn = None
            if cos is not None:
                cs = cos.view(T, 1, S, hd).repeat(B, 1, 1, 1)
                sn = sin.view(T, 1, S, hd).repeat(B, 1, 1, 1)
            h = self.attn(h.reshape(B * T, S, D), cs, sn).reshape(B, N, D)
        else:
            cs = sn = None
            if cos is not None:
                cs = cos.view(T, S, hd).transpose(0, 1).unsqueeze(1).repeat(B, 1, 1, 1)
                sn = sin.view(T, S, hd).transpose(0, 1).unsqueeze(1).repeat(B, 1, 1, 1)
            ht = h.view(B, T, S, D).transpose(1, 2).reshape(B * S, T, D)
            h = self.attn(ht, cs, sn).view(B, S, T, D).transpose(1, 2).reshape(B, N, D)
        x = x + m[2].unsqueeze(1) * h
        x = x + self.cross_attn(self.norm2(x), text, mask)
        return x + m[5].unsqueeze(1) * self.mlp(modulate(self.norm3(x), m[3], m[4]))


class PatchEmbed(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.proj = nn.Linear(i, o)

    def forward(self, x):
        return self.proj(x)


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden, freq=256):
        super().__init__()
        self.freq = freq
        self.mlp = nn.Sequential(nn.Linear(freq, hidden), nn.SiLU(), nn.Linear(hidden, hidden))

    def forward(self, t):
        half = self.freq // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        args = (t.float() * 1000.0).unsqueeze(1) * freqs.unsqueeze(0)
        return self.mlp(torch.cat([torch.cos(args), torch.sin(args)], -1))


class FinalLayer(nn.Module):
    def __init__(self, hidden, out):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 2 * hidden))
        self.linear = nn.Linear(hidden, out)

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, 1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class Dit(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        D, P = a.hidden, a.patch[0] * a.patch[1] * a.patch[2]
        self.x_embedder = PatchEmbed(a.in_channels * P, D)
        self.t_embedder = TimestepEmbedder(D)
        self.pooled_embedder = Projection(a.pooled_dim, D, D, "silu") if a.pooled_dim > 0 else None
        self.text_embedder = Projection(a.text_dim, D, D, "gelu_tanh")
        inner = int(D * a.mlp_ratio)
        modes = ["full" if a.attention == "full" else ("spatial" if i % 2 == 0 else "temporal") for i in range(a.depth)]
        self.blocks = nn.ModuleList([Block(D, a.heads, inner, a.qk_norm, m) for m in modes])
        self.final_layer = FinalLayer(D, P * a.in_channels)
        hd = D // a.heads
        t = 4 * max(1, hd // 32)
        self.rope_axes = [t, (hd - t) // 2, (hd - t) // 2]
        self._rope = {}

    def forward(self, x, t, text, mask, pooled):
        a = self.a
        pt, ph, pw = a.patch
        B, C, T, H, W = x.shape
        g = (T // pt, H // ph, W // pw)
        tok = x.reshape(B, C, g[0], pt, g[1], ph, g[2], pw).permute(0, 2, 4, 6, 1, 3, 5, 7)
        h = self.x_embedder(tok.reshape(B, g[0] * g[1] * g[2], C * pt * ph * pw))
        if g not in self._rope:
            self._rope[g] = rope_tables(self.rope_axes, g)
        cos, sin = self._rope[g]
        c = self.t_embedder(t)
        if self.pooled_embedder is not None:
            c = c + self.pooled_embedder(pooled)
        txt = self.text_embedder(text)
        for blk in self.blocks:
            if a.grad_checkpointing and self.training:
                h = torch.utils.checkpoint.checkpoint(blk, h, c, txt, mask, cos, sin, g)
            else:
                h = blk(h, c, txt, mask, cos, sin, g)
        out = self.final_layer(h, c)
        out = out.reshape(B, g[0], g[1], g[2], C, pt, ph, pw).permute(0, 4, 1, 5, 2, 6, 3, 7)
        return out.reshape(B, C, T, H, W)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--depth", type=int, required=True)
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--mlp-ratio", type=float, default=4.0)
    p.add_argument("--patch", type=int, nargs=3, default=[1, 2, 2])
    p.add_argument("--latent", type=int, nargs=4, required=True, help="C T H W")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--text-len", type=int, default=16)
    p.add_argument("--text-dim", type=int, default=256)
    p.add_argument("--pooled-dim", type=int, default=256)
    p.add_argument("--attention", default="full")
    p.add_argument("--qk-norm", type=int, default=1)
    p.add_argument("--grad-checkpointing", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args()
    a.in_channels = a.latent[0]
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Dit(a)
    model.train()
    params = sum(q.numel() for q in model.parameters())
    # Non-zero weights so the work is representative (a zero-initialized output layer changes nothing
    # about the cost, but keeps gradients sparse in structure).
    with torch.no_grad():
        for q in model.parameters():
            q.normal_(0, 0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    B, (C, T, H, W) = a.batch, a.latent
    x0 = torch.randn(B, C, T, H, W)
    noise = torch.randn(B, C, T, H, W)
    t = torch.rand(B)
    text = torch.randn(B, a.text_len, a.text_dim)
    mask = torch.ones(B, a.text_len, dtype=torch.bool)
    mask[0, a.text_len // 2:] = False
    pooled = torch.randn(B, a.pooled_dim)
    times = []
    loss = None
    for i in range(a.warmup + a.steps):
        start = time.perf_counter()
        tt = t.view(B, 1, 1, 1, 1)
        xt = (1 - tt) * x0 + tt * noise
        pred = model(xt, t, text, mask, pooled)
        loss = (pred.float() - (noise - x0)).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_v = loss.item()
        if i >= a.warmup:
            times.append((time.perf_counter() - start) * 1000.0)
    times_sorted = sorted(times)
    print(json.dumps({
        "step_ms": times_sorted[len(times) // 2],
        "steps_ms": times,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "params": params,
        "loss": loss_v,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
