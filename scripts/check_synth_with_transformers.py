#!/usr/bin/env python3
"""Check that a checkpoint written by `switchyard checkpoint synth` loads in transformers and
computes what `switchyard forward` computes.

Run by hand (never by CI), with torch and transformers >= 5 installed:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers safetensors numpy
    swift build -c release
    /tmp/venv/bin/python scripts/check_synth_with_transformers.py [--model tiny] [--dtype f32|bf16|fp8]

It writes the checkpoint with the Swift tool, loads it with Mistral4ForCausalLM.from_pretrained,
runs both on the same tokens and prints the largest logit difference relative to the largest
logit. Exit status 1 when that exceeds 1e-4 or the greedy next tokens differ.

fp8 checkpoints load through transformers' fine-grained FP8 quantizer (needs accelerate too), which
on a machine without a CUDA GPU dequantizes at load. Measured with transformers 5.24 on CPU, this
does not yet work for Mistral4's experts: fused experts' `*_scale_inv` are reported UNEXPECTED and
dropped (its dequantize step is attached only to per-expert converters), and Mistral4 has no
per-expert converter (per-expert keys are UNEXPECTED in any dtype); so an fp8 run here reports a
large difference. It also derives the block size from the scale grid, so sides that are neither
multiples of 128 nor below 128 (mini's kv_b_proj, 576 rows) would be refused.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from transformers import Mistral4ForCausalLM

ROOT = Path(__file__).resolve().parent.parent
SWITCHYARD = ROOT / ".build" / "release" / "switchyard"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--dtype", default="f32", choices=["f32", "bf16", "fp8"])
    parser.add_argument("--seed", default="7")
    parser.add_argument("--layout", default=None, choices=["fused", "per-expert"],
                        help="default: fused")
    args = parser.parse_args()
    layout = args.layout or "fused"
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "ckpt"
        subprocess.run([SWITCHYARD, "checkpoint", "synth", "--model", args.model, "--seed", args.seed,
                        "--dtype", args.dtype, "--layout", layout, "--out", checkpoint], check=True, stdout=subprocess.DEVNULL)
        vocab = json.loads((checkpoint / "config.json").read_text())["vocab_size"]
        tokens = [(1 + 37 * i * i + 11 * i) % vocab for i in range(24)]
        logits_path = Path(tmp) / "logits.npy"
        subprocess.run([SWITCHYARD, "forward", "--checkpoint", checkpoint, "--tokens", ",".join(map(str, tokens)),
                        "--output", logits_path], check=True, stderr=subprocess.DEVNULL)
        ours = np.load(logits_path)
        model = Mistral4ForCausalLM.from_pretrained(checkpoint, dtype=torch.float32)
        model.eval()
        with torch.no_grad():
            theirs = model(torch.tensor([tokens])).logits[0].float().numpy()
    worst = float(np.abs(ours - theirs).max())
    largest = float(np.abs(theirs).max())
    same_argmax = bool((ours.argmax(-1) == theirs.argmax(-1)).all())
    print(f"{type(model).__name__} loaded the {args.model} {args.dtype} {layout} checkpoint; "
          f"max |Δlogit| {worst:.3g} of max |logit| {largest:.3g} ({worst / largest:.2g}); "
          f"greedy next tokens identical: {same_argmax}")
    return 0 if worst <= 1e-4 * largest and same_argmax else 1


if __name__ == "__main__":
    sys.exit(main())
