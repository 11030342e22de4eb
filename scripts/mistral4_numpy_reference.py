#!/usr/bin/env python3
"""Independent NumPy implementation of the Mistral4 forward pass, checked against the fixtures.

Written from the math in Tests/Fixtures/mistral4-parity/README.md, not from transformers' code,
so that the README's description is itself tested: it reads the checkpoints with a hand-written
safetensors reader (F32 and BF16, single file or sharded with an index), runs the model in
float64 with the rotary dims kept in their interleaved (pairwise) layout, and compares with
logits-f32.npy, logits-bf16.npy and the greedy tokens in reference.json.

Run:  python3 scripts/mistral4_numpy_reference.py [fixture_dir]      (needs only numpy)
CI never runs this script.
"""

import json
import math
import os
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = data[a:b]
        if info["dtype"] == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif info["dtype"] == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(info["dtype"])
        out[name] = arr.reshape(info["shape"]).astype(np.float64)
    return out


def load_checkpoint(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as fh:
            files = sorted(set(json.load(fh)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    w = {}
    for f in files:
        w.update(read_safetensors(os.path.join(d, f)))
    with open(os.path.join(d, "config.json")) as fh:
        cfg = json.load(fh)
    return cfg, w


def expert(w, L, e, I):
    """(gate [I,H], up [I,H], down [H,I]) from either layout."""
    p = f"model.layers.{L}.mlp.experts."
    if p + "gate_up_proj" in w:
        gu = w[p + "gate_up_proj"][e]
        return gu[:I], gu[I:], w[p + "down_proj"][e]
    return (w[f"{p}{e}.gate_proj.weight"], w[f"{p}{e}.up_proj.weight"], w[f"{p}{e}.down_proj.weight"])


def rmsnorm(x, g, eps):
    return g * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def silu(x):
    return x / (1.0 + np.exp(-x))


def yarn(cfg):
    rp = cfg["rope_parameters"]
    d = cfg["qk_rope_head_dim"]
    base, factor, orig = rp["rope_theta"], rp["factor"], rp["original_max_position_embeddings"]
    beta_fast, beta_slow = rp.get("beta_fast", 32), rp.get("beta_slow", 1)

    def corr_dim(rot):
        return d * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))

    low = max(math.floor(corr_dim(beta_fast)), 0)
    high = min(math.ceil(corr_dim(beta_slow)), d - 1)
    if low == high:
        high += 0.001
    i = np.arange(d // 2)
    theta = base ** (-(2.0 * i) / d)
    ramp = np.clip((i - low) / (high - low), 0, 1)  # 0 -> keep theta, 1 -> theta / factor
    inv_freq = theta / factor * ramp + theta * (1 - ramp)

    def mscale(s, m):
        return 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0

    m, mad = rp.get("mscale"), rp.get("mscale_all_dim")
    cos_sin_scale = mscale(factor, m) / mscale(factor, mad) if (m and mad) else mscale(factor, 1)
    qk = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    softmax_scale = qk ** -0.5 * (mscale(factor, mad) ** 2 if mad else 1.0)
    return inv_freq, cos_sin_scale, softmax_scale


def rope_interleaved(x, pos, inv_freq, s):
    """x [..., T, d]: rotate pairs (x[2j], x[2j+1]) by angle pos*inv_freq[j]; layout kept."""
    ang = pos[:, None] * inv_freq[None, :]  # [T, d/2]
    c, sn = np.cos(ang) * s, np.sin(ang) * s
    a, b = x[..., 0::2], x[..., 1::2]
    y = np.empty_like(x)
    y[..., 0::2] = a * c - b * sn
    y[..., 1::2] = b * c + a * sn
    return y


def forward(cfg, w, ids):
    T, H = len(ids), cfg["hidden_size"]
    nh, dn, dr, dv = cfg["num_attention_heads"], cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    r_kv, eps = cfg["kv_lora_rank"], cfg["rms_norm_eps"]
    E, K, G, TG = cfg["n_routed_experts"], cfg["num_experts_per_tok"], cfg["n_group"], cfg["topk_group"]
    I = cfg["moe_intermediate_size"]
    rp = cfg["rope_parameters"]
    inv_freq, cs, sm_scale = yarn(cfg)
    pos = np.arange(T, dtype=np.float64)
    qscale = 1 + rp["llama_4_scaling_beta"] * np.log(1 + np.floor(pos / rp["original_max_position_embeddings"]))
    causal = np.triu(np.full((T, T), -np.inf), 1)

    x = w["model.embed_tokens.weight"][ids]
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        h = rmsnorm(x, w[p + "input_layernorm.weight"], eps)
        a = p + "self_attn."
        cq = rmsnorm(h @ w[a + "q_a_proj.weight"].T, w[a + "q_a_layernorm.weight"], eps)
        q = (cq @ w[a + "q_b_proj.weight"].T).reshape(T, nh, dn + dr).transpose(1, 0, 2)  # [nh,T,dn+dr]
        ckv = h @ w[a + "kv_a_proj_with_mqa.weight"].T  # [T, r_kv + dr]
        latent = rmsnorm(ckv[:, :r_kv], w[a + "kv_a_layernorm.weight"], eps)
        k_rot = rope_interleaved(ckv[:, r_kv:], pos, inv_freq, cs)  # [T, dr], one for all heads
        kv = (latent @ w[a + "kv_b_proj.weight"].T).reshape(T, nh, dn + dv).transpose(1, 0, 2)
        k = np.concatenate([kv[..., :dn], np.broadcast_to(k_rot, (nh, T, dr))], axis=-1)
        v = kv[..., dn:]
        q = np.concatenate([q[..., :dn], rope_interleaved(q[..., dn:], pos, inv_freq, cs)], axis=-1)
        q = q * qscale[None, :, None]
        s = q @ k.transpose(0, 2, 1) * sm_scale + causal
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(T, nh * dv)
        x = x + o @ w[a + "o_proj.weight"].T

        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"], eps)
        m = p + "mlp."
        if L < cfg["first_k_dense_replace"]:
            y = (silu(h @ w[m + "gate_proj.weight"].T) * (h @ w[m + "up_proj.weight"].T)) @ w[m + "down_proj.weight"].T
        else:
            logits = h @ w[m + "gate.weight"].T
            sc = np.exp(logits - logits.max(-1, keepdims=True))
            sc /= sc.sum(-1, keepdims=True)  # softmax over all E experts
            y = np.zeros_like(h)
            for t in range(T):
                grp = np.sort(sc[t].reshape(G, E // G), axis=-1)[:, -2:].sum(-1)  # top-2 sum per group
                keep = np.argsort(-grp, kind="stable")[:TG]
                allowed = np.zeros(E, bool)
                for g in keep:
                    allowed[g * (E // G):(g + 1) * (E // G)] = True
                cand = np.where(allowed, sc[t], 0.0)
                top = np.argsort(-cand, kind="stable")[:K]
                wt = sc[t, top]
                if cfg["norm_topk_prob"]:
                    wt = wt / (wt.sum() + 1e-20)
                wt = wt * cfg["routed_scaling_factor"]
                for e, we in zip(top, wt):
                    gp, up, dp = expert(w, L, e, I)
                    y[t] += we * ((silu(gp @ h[t]) * (up @ h[t])) @ dp.T)
            sh = m + "shared_experts."
            y = y + (silu(h @ w[sh + "gate_proj.weight"].T) * (h @ w[sh + "up_proj.weight"].T)) @ w[sh + "down_proj.weight"].T
        x = x + y
    x = rmsnorm(x, w["model.norm.weight"], eps)
    return x @ w["lm_head.weight"].T


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "mistral4-parity")
    with open(os.path.join(d, "reference.json")) as fh:
        ref = json.load(fh)
    ok = True
    for sub, npy, greedy_key in (("fused-f32", "logits-f32.npy", "greedy"),
                                 ("per-expert-f32", "logits-f32.npy", "greedy"),
                                 ("fused-bf16", "logits-bf16.npy", "greedy_bf16")):
        cfg, w = load_checkpoint(os.path.join(d, sub))
        want = np.load(os.path.join(d, npy))
        got = forward(cfg, w, ref["prompt"])
        err = float(np.abs(got - want).max())
        ids = list(ref["prompt"])
        for _ in range(len(ref[greedy_key])):
            ids.append(int(np.argmax(forward(cfg, w, ids)[-1])))
        same = ids[len(ref["prompt"]):] == ref[greedy_key]
        print(f"{sub}: max |logit - {npy}| = {err:.2e}; greedy matches {greedy_key}: {same}")
        ok &= err < 1e-3 and same
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
