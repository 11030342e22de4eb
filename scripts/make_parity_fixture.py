#!/usr/bin/env python3
"""Make the Mistral4 parity fixtures in Tests/Fixtures/mistral4-parity/.

What it makes
-------------
A tiny, randomly initialised Mistral4ForCausalLM (Hugging Face transformers >= 5, model_type
"mistral4": MLA attention, YaRN rope with interleaved rotary dims, llama-4 query scaling,
group-limited router, one shared expert, layer 0 dense), and from it:

  fused-f32/config.json, fused-f32/model.safetensors
      save_pretrained output in float32, transformers 5.x fused expert layout
      (mlp.experts.gate_up_proj [E, 2*I, H], mlp.experts.down_proj [E, H, I]).
  per-expert-f32/config.json, model-0000{1,2}-of-00002.safetensors, model.safetensors.index.json
      the same float32 weights with experts split DeepSeek-V3 style
      (mlp.experts.{e}.{gate,up,down}_proj.weight), sharded in two files with a standard index.
  fused-bf16/config.json, fused-bf16/model.safetensors
      the fused checkpoint with every tensor stored as BF16.
  logits-f32.npy    float32 [prompt_len, vocab], the f32 model on the prompt (one pass, no cache).
  logits-bf16.npy   float32 [prompt_len, vocab], the BF16-rounded weights upcast to float32 and
                    computed in float32.
  reference.json    prompt, greedy continuations (f32 and bf16-rounded), notes, and debug values
                    (YaRN inv_freq, softmax scale, llama-4 query scale, the MoE layer's routing).

How to run
----------
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers safetensors numpy
    /tmp/venv/bin/python scripts/make_parity_fixture.py [--out Tests/Fixtures/mistral4-parity]

CPU is enough (a few seconds). It is deterministic for a given torch/transformers version
(torch.manual_seed), but bit-exact reproduction across versions is not promised: the fixture
files in the repository are the reference, this script is how they were made.

CI never runs this script; the Swift tests only read the files it wrote.
"""

import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file

import transformers
from transformers import Mistral4Config, Mistral4ForCausalLM
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.mistral4.modeling_mistral4 import yarn_apply_mscale

SEED = 4  # chosen so that routing and greedy argmax are far from ties (checked below)
PROMPT_LEN = 32
NEW_TOKENS = 16

CONFIG = dict(
    vocab_size=256,
    hidden_size=64,
    intermediate_size=96,
    moe_intermediate_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    q_lora_rank=32,
    kv_lora_rank=16,
    qk_nope_head_dim=16,
    qk_rope_head_dim=8,
    v_head_dim=16,
    n_routed_experts=16,
    num_experts_per_tok=4,
    n_shared_experts=1,
    n_group=4,
    topk_group=2,
    norm_topk_prob=True,
    routed_scaling_factor=1.5,
    first_k_dense_replace=1,
    hidden_act="silu",
    max_position_embeddings=64,
    rms_norm_eps=1e-6,
    tie_word_embeddings=False,
    rope_interleave=True,
    attention_bias=False,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=11,
    rope_parameters={
        "rope_type": "yarn",
        "rope_theta": 10000.0,
        "factor": 4.0,
        # Smaller than the prompt: YaRN's correction range and the llama-4 query scale
        # (1 + beta*ln(1 + floor(pos / original_max_position_embeddings))) both matter.
        "original_max_position_embeddings": 16,
        "beta_fast": 32.0,
        "beta_slow": 1.0,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
        "llama_4_scaling_beta": 0.1,
    },
)


def log(*a):
    print(*a, flush=True)


def randomize(model: Mistral4ForCausalLM, gen: torch.Generator) -> None:
    """Overwrite every parameter with seeded random values of sensible scale."""
    H = model.config.hidden_size
    with torch.no_grad():
        for name, p in model.named_parameters():
            def rn(*shape):
                return torch.randn(*shape, generator=gen, dtype=torch.float32)

            if p.dim() == 1:  # every 1-D parameter is an RMSNorm weight
                p.copy_(1.0 + 0.1 * rn(*p.shape))
            elif name == "model.embed_tokens.weight":
                p.copy_(rn(*p.shape))
            elif name == "lm_head.weight":
                p.copy_(rn(*p.shape) * (3.0 / math.sqrt(H)))  # logits ~ N(0, 3^2)
            elif name.endswith("mlp.gate.weight"):  # router
                p.copy_(rn(*p.shape) * (2.5 / math.sqrt(H)))
            elif name.endswith("experts.gate_up_proj"):  # [E, 2I, H]
                p.copy_(rn(*p.shape) / math.sqrt(p.shape[-1]))
            elif name.endswith("experts.down_proj"):  # [E, H, I]
                p.copy_(rn(*p.shape) / math.sqrt(p.shape[-1]))
            elif name.endswith("q_b_proj.weight") or name.endswith("kv_b_proj.weight"):
                p.copy_(rn(*p.shape) * (1.5 / math.sqrt(p.shape[1])))
            else:  # nn.Linear [out, in]
                p.copy_(rn(*p.shape) / math.sqrt(p.shape[1]))


class RouterTap:
    """Records (router_logits, topk_weights, topk_indices) of every router call."""

    def __init__(self, model):
        self.calls = {}
        self.handles = []
        for name, mod in model.named_modules():
            if type(mod).__name__ == "Mistral4TopkRouter":
                self.handles.append(mod.register_forward_hook(self._hook(name)))

    def _hook(self, name):
        def f(mod, inp, out):
            self.calls[name] = [o.detach().clone() for o in out]
        return f

    def remove(self):
        for h in self.handles:
            h.remove()


@torch.no_grad()
def forward_logits(model, ids):
    return model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].float()


@torch.no_grad()
def greedy_recompute(model, prompt, n):
    ids = list(prompt)
    margins = []
    for _ in range(n):
        last = forward_logits(model, ids)[-1]
        top2 = torch.topk(last, 2).values
        margins.append(float(top2[0] - top2[1]))
        ids.append(int(torch.argmax(last)))
    return ids[len(prompt):], margins


@torch.no_grad()
def greedy_generate(model, prompt, n):
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = None
    out = model.generate(
        torch.tensor([prompt]), do_sample=False, max_new_tokens=n, min_new_tokens=n,
        eos_token_id=None, pad_token_id=0,
    )
    return out[0, len(prompt):].tolist()


def routing_report(model, ids, label):
    """Route the whole sequence, check coverage and margins, return debug data for layer(s)."""
    cfg = model.config
    E, G, TG, K = cfg.n_routed_experts, cfg.n_group, cfg.topk_group, cfg.num_experts_per_tok
    tap = RouterTap(model)
    forward_logits(model, ids)
    tap.remove()
    out = {}
    for name, (logits, w, idx) in sorted(tap.calls.items()):
        scores = logits.softmax(-1)
        groups = scores.view(-1, G, E // G)
        gscore = groups.topk(2, dim=-1).values.sum(-1)  # [T, G]
        gsorted = gscore.sort(dim=-1, descending=True).values
        group_margin = float((gsorted[:, TG - 1] - gsorted[:, TG]).min())
        chosen_groups = gscore.topk(TG, dim=-1).indices
        mask = torch.zeros_like(gscore).scatter_(1, chosen_groups, 1.0).repeat_interleave(E // G, dim=1)
        masked = scores.masked_fill(mask == 0, 0.0)
        msorted = masked.sort(dim=-1, descending=True).values
        expert_margin = float((msorted[:, K - 1] - msorted[:, K]).min())
        groups_used = sorted(set((idx // (E // G)).flatten().tolist()))
        experts_used = sorted(set(idx.flatten().tolist()))
        unrestricted = scores.topk(K, dim=-1).indices.sort(-1).values
        differs = int((unrestricted != idx.sort(-1).values).any(-1).sum())
        log(f"[{label}] {name}: tokens={idx.shape[0]} groups used={groups_used} "
            f"experts used={len(experts_used)}/{E} {experts_used}")
        log(f"[{label}]   min group-selection margin={group_margin:.3e}  "
            f"min expert-selection margin={expert_margin:.3e}  "
            f"tokens whose top-{K} changes because of group limiting={differs}")
        assert groups_used == list(range(G)), "every group must be selected by some token"
        assert len(experts_used) >= E // 2, "too few distinct experts used"
        assert group_margin > 2e-4 and expert_margin > 2e-4, "routing too close to a tie"
        order = idx.sort(-1)
        out[name] = {
            "topk_indices_sorted": order.values.tolist(),
            "topk_weights_in_same_order": w.gather(1, order.indices).tolist(),
            "min_group_margin": group_margin,
            "min_expert_margin": expert_margin,
            "tokens_changed_by_group_limit": differs,
            "distinct_experts": len(experts_used),
        }
    return out


def tensor_table(path):
    sd = load_file(path)
    return {k: (list(v.shape), str(v.dtype).replace("torch.", "")) for k, v in sorted(sd.items())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "Tests", "Fixtures", "mistral4-parity"))
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    seed = args.seed
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    for sub in ("fused-f32", "per-expert-f32", "fused-bf16"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)

    log(f"torch {torch.__version__}, transformers {transformers.__version__}, numpy {np.__version__}")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)

    config = Mistral4Config(**CONFIG)
    config._attn_implementation = "eager"
    model = Mistral4ForCausalLM(config).to(torch.float32).eval()
    randomize(model, gen)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"parameters: {n_params}")

    prompt = torch.randint(3, config.vocab_size, (PROMPT_LEN,), generator=gen).tolist()

    # ---- f32 reference -------------------------------------------------------------------
    logits_f32 = forward_logits(model, prompt)
    log(f"f32 logits: std={logits_f32.std():.3f} min={logits_f32.min():.3f} max={logits_f32.max():.3f}")
    greedy, margins = greedy_recompute(model, prompt, NEW_TOKENS)
    greedy_cached = greedy_generate(model, prompt, NEW_TOKENS)
    log(f"greedy f32: {greedy}  (min top1-top2 margin {min(margins):.3e})")
    assert greedy == greedy_cached, f"generate() with KV cache disagrees: {greedy_cached}"
    assert len(set(greedy)) > 1, "greedy continuation is one token repeated"
    assert min(margins) > 1e-3, "greedy step too close to a tie"
    routing = routing_report(model, prompt + greedy, "f32")

    # ---- save fused f32 ------------------------------------------------------------------
    fused_f32 = os.path.join(out, "fused-f32")
    model.save_pretrained(fused_f32, safe_serialization=True)
    for extra in os.listdir(fused_f32):
        if extra not in ("config.json", "model.safetensors"):
            os.remove(os.path.join(fused_f32, extra))
    reloaded = Mistral4ForCausalLM.from_pretrained(fused_f32, dtype=torch.float32, attn_implementation="eager").eval()
    diff = float((forward_logits(reloaded, prompt) - logits_f32).abs().max())
    log(f"fused-f32 reload: max |logit diff| = {diff}")
    assert diff == 0.0, "reloaded fused-f32 logits differ"
    del reloaded

    # ---- per-expert sharded f32 ------------------------------------------------------------
    fused_sd = load_file(os.path.join(fused_f32, "model.safetensors"))
    split = {}
    I = config.moe_intermediate_size
    for k, v in fused_sd.items():
        if k.endswith("mlp.experts.gate_up_proj"):
            base = k[: -len("gate_up_proj")]
            for e in range(v.shape[0]):
                split[f"{base}{e}.gate_proj.weight"] = v[e, :I].contiguous()
                split[f"{base}{e}.up_proj.weight"] = v[e, I:].contiguous()
        elif k.endswith("mlp.experts.down_proj"):
            base = k[: -len("down_proj")]
            for e in range(v.shape[0]):
                split[f"{base}{e}.down_proj.weight"] = v[e].contiguous()
        else:
            split[k] = v.contiguous()

    def natural(k):
        return [int(t) if t.isdigit() else t for t in k.split(".")]

    names = sorted(split, key=natural)
    total = sum(split[n].numel() * split[n].element_size() for n in names)
    shard_files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map, acc = {}, 0
    for n in names:  # first half of the bytes (in natural order) to shard 1; experts span both
        weight_map[n] = shard_files[0] if acc < total // 2 else shard_files[1]
        acc += split[n].numel() * split[n].element_size()
    per_expert = os.path.join(out, "per-expert-f32")
    os.makedirs(per_expert)
    for f in shard_files:
        save_file({n: split[n] for n in names if weight_map[n] == f}, os.path.join(per_expert, f),
                  metadata={"format": "pt"})
    with open(os.path.join(per_expert, "model.safetensors.index.json"), "w") as fh:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, fh, indent=2)
        fh.write("\n")
    shutil.copy(os.path.join(fused_f32, "config.json"), os.path.join(per_expert, "config.json"))
    # verify: re-fuse from the shards and compare bit-exactly
    back = {}
    for f in shard_files:
        back.update(load_file(os.path.join(per_expert, f)))
    for k, v in fused_sd.items():
        if k.endswith("mlp.experts.gate_up_proj"):
            base = k[: -len("gate_up_proj")]
            re = torch.stack([torch.cat([back[f"{base}{e}.gate_proj.weight"], back[f"{base}{e}.up_proj.weight"]])
                              for e in range(v.shape[0])])
        elif k.endswith("mlp.experts.down_proj"):
            base = k[: -len("down_proj")]
            re = torch.stack([back[f"{base}{e}.down_proj.weight"] for e in range(v.shape[0])])
        else:
            re = back[k]
        assert torch.equal(re, v), k
    experts_in = {f: sum(1 for n, ff in weight_map.items() if ff == f and ".experts." in n) for f in shard_files}
    log(f"per-expert: {len(names)} tensors, total_size={total}, expert tensors per shard={experts_in}")

    # ---- bf16 ------------------------------------------------------------------------------
    model_bf16r = Mistral4ForCausalLM(config).to(torch.float32).eval()
    model_bf16r.load_state_dict({k: v.to(torch.bfloat16).to(torch.float32) for k, v in model.state_dict().items()})
    logits_bf16 = forward_logits(model_bf16r, prompt)
    greedy_bf16, margins_bf16 = greedy_recompute(model_bf16r, prompt, NEW_TOKENS)
    log(f"greedy bf16-rounded: {greedy_bf16}  (min margin {min(margins_bf16):.3e}); "
        f"max |logits f32 - bf16| on prompt = {float((logits_f32 - logits_bf16).abs().max()):.4f}")
    assert min(margins_bf16) > 1e-3, "bf16 greedy step too close to a tie"
    routing_bf16 = routing_report(model_bf16r, prompt + greedy_bf16, "bf16")

    fused_bf16 = os.path.join(out, "fused-bf16")
    model_bf16 = Mistral4ForCausalLM(config).eval()
    model_bf16.load_state_dict(model.state_dict())
    model_bf16 = model_bf16.to(torch.bfloat16)
    model_bf16.config.dtype = torch.bfloat16
    model_bf16.save_pretrained(fused_bf16, safe_serialization=True)
    for extra in os.listdir(fused_bf16):
        if extra not in ("config.json", "model.safetensors"):
            os.remove(os.path.join(fused_bf16, extra))
    dtypes = {v[1] for v in tensor_table(os.path.join(fused_bf16, "model.safetensors")).values()}
    assert dtypes == {"bfloat16"}, dtypes
    rb = Mistral4ForCausalLM.from_pretrained(fused_bf16, dtype=torch.float32, attn_implementation="eager").eval()
    diff = float((forward_logits(rb, prompt) - logits_bf16).abs().max())
    log(f"fused-bf16 reloaded as float32: max |logit diff| vs bf16-rounded = {diff}")
    assert diff == 0.0
    del rb

    # ---- logits + reference.json -------------------------------------------------------------
    np.save(os.path.join(out, "logits-f32.npy"), logits_f32.numpy().astype("<f4"))
    np.save(os.path.join(out, "logits-bf16.npy"), logits_bf16.numpy().astype("<f4"))

    rope = model.model.rotary_emb
    attn0 = model.model.layers[0].self_attn
    rp = config.rope_parameters
    pos = torch.arange(PROMPT_LEN + NEW_TOKENS, dtype=torch.float32)
    q_scale = 1 + rp["llama_4_scaling_beta"] * torch.log(1 + torch.floor(pos / rp["original_max_position_embeddings"]))
    # YaRN frequencies of the full-size default Mistral4Config, for a unit test of the formula
    big = Mistral4Config()
    big_inv, big_att = ROPE_INIT_FUNCTIONS["yarn"](big)
    big_softmax = yarn_apply_mscale(big.rope_parameters, (big.qk_nope_head_dim + big.qk_rope_head_dim) ** -0.5)

    ref = {
        "prompt": prompt,
        "greedy": greedy,
        "greedy_bf16": greedy_bf16,
        "notes": (
            "Tiny random Mistral4ForCausalLM (transformers " + transformers.__version__ + ", torch "
            + torch.__version__ + ", seed " + str(seed) + "). 'greedy' is argmax decoding of "
            + str(NEW_TOKENS) + " new tokens after 'prompt' with the float32 weights, full recompute each "
            "step (equal to model.generate(do_sample=False) with the KV cache, checked); no EOS stop. "
            "'greedy_bf16' is the same with every weight rounded to bfloat16 (round-to-nearest-even) and "
            "computed in float32. logits-f32.npy / logits-bf16.npy are [prompt_len, vocab] float32 logits "
            "of one uncached forward pass over the prompt, positions 0..prompt_len-1. Attention was eager. "
            "'debug' values are for localising mismatches; routing is for the full sequence "
            "prompt+greedy (f32) and prompt+greedy_bf16 (bf16), expert indices sorted ascending per token "
            "with their final weights (normalized, times routed_scaling_factor)."
        ),
        "debug": {
            "greedy_top1_top2_margins": margins,
            "greedy_bf16_top1_top2_margins": margins_bf16,
            "yarn_inv_freq": rope.inv_freq.tolist(),
            "rope_cos_sin_scale": float(rope.attention_scaling),
            "softmax_scale": float(attn0.scaling),
            "llama4_query_scale_by_position": q_scale.tolist(),
            "routing_f32": routing,
            "routing_bf16": routing_bf16,
            "full_size_default_config": {
                "note": "Mistral4Config() defaults (the real model's rope: factor 128, original 8192, dim 64)",
                "yarn_inv_freq": big_inv.tolist(),
                "rope_cos_sin_scale": float(big_att),
                "softmax_scale": float(big_softmax),
            },
        },
    }
    with open(os.path.join(out, "reference.json"), "w") as fh:
        json.dump(ref, fh, indent=1)
        fh.write("\n")

    # ---- summary ---------------------------------------------------------------------------
    with open(os.path.join(fused_f32, "config.json")) as fh:
        saved_cfg = json.load(fh)
    log("saved config.json rope_parameters:", json.dumps(saved_cfg.get("rope_parameters")))
    log("fused-f32 tensors:")
    for k, (shape, dt) in tensor_table(os.path.join(fused_f32, "model.safetensors")).items():
        log(f"  {k} {shape} {dt}")
    total_bytes = 0
    for root, _, files in os.walk(out):
        for f in sorted(files):
            p = os.path.join(root, f)
            total_bytes += os.path.getsize(p)
            log(f"  {os.path.relpath(p, out)}: {os.path.getsize(p)} bytes")
    log(f"total: {total_bytes} bytes")
    assert total_bytes < 3_000_000


if __name__ == "__main__":
    sys.exit(main())
