"""Live diffusers reference for the Wan tests (tests/wan/*.cpp). One run per test case:

  wan_reference.py transformer OUT   a tiny random WanTransformer3DModel saved as a sharded diffusers folder
                                     (OUT/transformer/) and as one original-layout bf16 file
                                     (OUT/original_bf16.safetensors); its forward on fixed inputs, the
                                     rectified-flow velocity loss and one parameter's gradient -> OUT/io.safetensors
  wan_reference.py schedulers OUT    FlowMatchEulerDiscreteScheduler(shift) and UniPCMultistepScheduler (Wan's
                                     flow configuration) on a fixed linear denoiser -> OUT/schedulers.safetensors
  wan_reference.py lora DIR          loads DIR/transformer (written by vdf), applies DIR/lora_peft.safetensors
                                     (PEFT layout) and DIR/lora_comfyui.safetensors (ComfyUI layout, through
                                     diffusers' converter), runs forward on DIR/inputs -> DIR/lora_out.safetensors
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file

torch.set_num_threads(2)

TINY = dict(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=16, in_channels=4, out_channels=4,
            text_dim=32, freq_dim=32, ffn_dim=64, num_layers=2, cross_attn_norm=True, eps=1e-6,
            rope_max_seq_len=32)


def to_original(name):
    """diffusers name -> original Wan 2.1 name (the inverse of the conversion table; written for this test)."""
    top = [("condition_embedder.time_embedder.linear_1.", "time_embedding.0."),
           ("condition_embedder.time_embedder.linear_2.", "time_embedding.2."),
           ("condition_embedder.time_proj.", "time_projection.1."),
           ("condition_embedder.text_embedder.linear_1.", "text_embedding.0."),
           ("condition_embedder.text_embedder.linear_2.", "text_embedding.2."),
           ("proj_out.", "head.head."), ("scale_shift_table", "head.modulation")]
    block = [("attn1.to_q.", "self_attn.q."), ("attn1.to_k.", "self_attn.k."), ("attn1.to_v.", "self_attn.v."),
             ("attn1.to_out.0.", "self_attn.o."), ("attn1.norm_q.", "self_attn.norm_q."),
             ("attn1.norm_k.", "self_attn.norm_k."), ("attn2.to_q.", "cross_attn.q."), ("attn2.to_k.", "cross_attn.k."),
             ("attn2.to_v.", "cross_attn.v."), ("attn2.to_out.0.", "cross_attn.o."),
             ("attn2.norm_q.", "cross_attn.norm_q."), ("attn2.norm_k.", "cross_attn.norm_k."),
             ("norm2.", "norm3."), ("ffn.net.0.proj.", "ffn.0."), ("ffn.net.2.", "ffn.2."),
             ("scale_shift_table", "modulation")]
    if name.startswith("blocks."):
        i, rest = name[len("blocks."):].split(".", 1)
        for a, b in block:
            if rest.startswith(a):
                return f"blocks.{i}." + b + rest[len(a):]
        return name
    for a, b in top:
        if name.startswith(a):
            return b + name[len(a):]
    return name


def transformer(out):
    from diffusers import WanTransformer3DModel
    torch.manual_seed(0)
    model = WanTransformer3DModel(**TINY).eval()
    with torch.no_grad():  # non-zero everywhere (norm weights are ones at init)
        for n, p in model.named_parameters():
            if "norm" in n:
                p.add_(0.1 * torch.randn_like(p))
    model.save_pretrained(os.path.join(out, "transformer"), max_shard_size="40KB", safe_serialization=True)
    sd = {to_original(k): v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    save_file(sd, os.path.join(out, "original_bf16.safetensors"))

    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 3, 8, 8, generator=g)
    timestep = torch.tensor([999.0, 317.5])
    text = torch.randn(2, 7, 32, generator=g)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 5:] = False
    context = text * mask[..., None]  # Wan: tokens past the prompt are zeros
    with torch.no_grad():
        y = model(x, timestep, context, return_dict=False)[0]
        bf = WanTransformer3DModel(**TINY).eval()
        bf.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()})
        y_bf = bf(x, timestep, context, return_dict=False)[0]
    # Rectified-flow velocity loss at fixed t and noise, and the gradient of one parameter.
    x0 = torch.randn(2, 4, 3, 8, 8, generator=g)
    noise = torch.randn(2, 4, 3, 8, 8, generator=g)
    t = torch.tensor([0.75, 0.25])
    tt = t.view(2, 1, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * noise
    model.train()
    pred = model(xt, t * 1000, context, return_dict=False)[0]
    loss = ((pred - (noise - x0)) ** 2).mean()
    loss.backward()
    save_file({"x": x, "timestep": timestep, "text": text, "mask": mask.to(torch.uint8), "out": y, "out_bf16": y_bf,
               "x0": x0, "noise": noise, "t": t, "loss": loss.detach().reshape(1),
               "grad_to_q": model.blocks[0].attn1.to_q.weight.grad.contiguous(),
               "grad_scale_shift_table": model.blocks[1].scale_shift_table.grad.contiguous(),
               "grad_text_linear_1": model.condition_embedder.text_embedder.linear_1.weight.grad.contiguous()},
              os.path.join(out, "io.safetensors"))


def schedulers(out):
    from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler
    g = torch.Generator().manual_seed(3)
    x_init = torch.randn(1, 4, 2, 4, 4, generator=g)
    ref = torch.randn(1, 4, 2, 4, 4, generator=g)

    def denoiser(x, timestep):  # a fixed velocity field, linear in x
        return 0.5 * x + (timestep / 1000.0) * ref - 0.3 * ref

    res = {"x_init": x_init, "ref": ref}
    for steps, shift in [(10, 3.0), (7, 5.0)]:
        tag = f"{steps}_{int(shift)}"
        euler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
        euler.set_timesteps(steps)
        unipc = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=shift,
                                        num_train_timesteps=1000, solver_order=2, solver_type="bh2",
                                        lower_order_final=True, predict_x0=True)
        unipc.set_timesteps(steps)
        for name, sch in [("euler", euler), ("unipc", unipc)]:
            x = x_init.clone()
            xs = []
            for t in sch.timesteps:
                v = denoiser(x, t.float())
                x = sch.step(v, t, x, return_dict=False)[0]
                xs.append(x)
            res[f"{name}_{tag}_sigmas"] = sch.sigmas.float()
            res[f"{name}_{tag}_timesteps"] = sch.timesteps.float()
            res[f"{name}_{tag}_xs"] = torch.stack(xs)
    # CFG with a negative prompt (what WanPipeline does): v = v_neg + scale (v_cond - v_neg), here with
    # v_cond = field + ref and v_neg = field - 0.5 ref, UniPC, 10 steps, shift 3, scale 5.
    unipc = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0,
                                    solver_order=2)
    unipc.set_timesteps(10)
    x = x_init.clone()
    for t in unipc.timesteps:
        vc = denoiser(x, t.float()) + 1.0 * ref
        vu = denoiser(x, t.float()) - 0.5 * ref
        x = unipc.step(vu + 5.0 * (vc - vu), t, x, return_dict=False)[0]
    res["unipc_cfg"] = x
    save_file(res, os.path.join(out, "schedulers.safetensors"))


def lora(d):
    from diffusers import WanPipeline, WanTransformer3DModel
    base = WanTransformer3DModel.from_pretrained(os.path.join(d, "transformer")).eval()
    inp = load_file(os.path.join(d, "inputs.safetensors"))
    args = (inp["x"], inp["timestep"], inp["context"])
    res = {}
    with torch.no_grad():
        res["base"] = base(*args, return_dict=False)[0]
    peft_sd = load_file(os.path.join(d, "lora_peft.safetensors"))
    base.load_lora_adapter(peft_sd, prefix="transformer", adapter_name="peft")
    with torch.no_grad():
        res["peft"] = base(*args, return_dict=False)[0]
    base.delete_adapters("peft")
    comfy = WanPipeline.lora_state_dict(os.path.join(d, "lora_comfyui.safetensors"))
    if isinstance(comfy, tuple):
        comfy = comfy[0]
    base.load_lora_adapter(comfy, prefix="transformer", adapter_name="comfy")
    with torch.no_grad():
        res["comfyui"] = base(*args, return_dict=False)[0]
    save_file({k: v.contiguous() for k, v in res.items()}, os.path.join(d, "lora_out.safetensors"))


if __name__ == "__main__":
    {"transformer": transformer, "schedulers": schedulers, "lora": lora}[sys.argv[1]](sys.argv[2])
