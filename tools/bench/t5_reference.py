# Reference side of vdf_bench_t5_encoder: transformers' UMT5EncoderModel / T5EncoderModel forward (no
# grad, float32, CPU), the same architecture, batch and mask as the vdf side; prints one JSON line.
import argparse, json, resource, time

import torch
from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

ap = argparse.ArgumentParser()
ap.add_argument('--kind', default='umt5')
for k in ('d-model', 'd-kv', 'd-ff', 'layers', 'heads', 'vocab', 'length', 'batch', 'threads', 'warmup', 'steps'):
    ap.add_argument('--' + k, type=int, required=True)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
cfg_cls, model_cls = (UMT5Config, UMT5EncoderModel) if a.kind == 'umt5' else (T5Config, T5EncoderModel)
cfg = cfg_cls(vocab_size=a.vocab, d_model=a.d_model, d_kv=a.d_kv, d_ff=a.d_ff, num_layers=a.layers, num_heads=a.heads,
              feed_forward_proj='gated-gelu')
model = model_cls(cfg).eval()
ids = torch.randint(3, a.vocab, (a.batch, a.length))
mask = torch.zeros(a.batch, a.length, dtype=torch.long)
for b in range(a.batch):  # prompts of different lengths, as a batch of real captions
    mask[b, : max(2, a.length * (b + 1) // (a.batch + 1))] = 1
times = []
with torch.no_grad():
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({'ms': sorted(times)[len(times) // 2], 'params': sum(p.numel() for n, p in model.named_parameters()),
                  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                  'threads': torch.get_num_threads(), 'checksum': float(out.abs().mean())}))
