#!/usr/bin/env python3
"""Convert a checkpoint written by `switchyard checkpoint synth` to GGUF with llama.cpp's own
converter (convert_hf_to_gguf.py), for scripts/bench-llamacpp.sh.

    python llamacpp_convert.py LLAMA_CPP_SOURCE CHECKPOINT_DIR OUT.gguf --outtype f32|bf16

Three things the converter does not do for a Switchyard checkpoint, done here without editing it:
- the architecture: config.json names Mistral4ForCausalLM (transformers 5's class); the converter
  registers Mistral 4 under Mistral3ForConditionalGeneration (model_type "mistral4" picks it), so
  the converter reads a copy of config.json with that name, beside links to the same shards;
- a vocabulary: the synthetic checkpoint has no tokenizer, so the GGUF gets tokenizer model "none"
  with vocab_size dummy tokens (llama.cpp's no-vocabulary mode: ids in, ids out);
- Llama 4 query scaling: the converter does not write rope_parameters' llama_4_scaling_beta for
  mistral4, so llama.cpp would drop the 1 + β·log(1 + ⌊pos / original context⌋) query scale;
  it is written as attention.temperature_scale / temperature_length, the keys llama.cpp's
  deepseek2 graph (which mistral4 runs) reads.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("llama_cpp", type=Path, help="llama.cpp source folder (holds convert_hf_to_gguf.py)")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--outtype", choices=["f32", "bf16"], required=True)
    args = parser.parse_args()

    converter = args.llama_cpp / "convert_hf_to_gguf.py"
    if not converter.is_file():
        print(f"llamacpp_convert: no convert_hf_to_gguf.py in {args.llama_cpp}", file=sys.stderr)
        return 2
    config_path = args.checkpoint / "config.json"
    if not config_path.is_file():
        print(f"llamacpp_convert: {config_path} is missing: not a checkpoint directory", file=sys.stderr)
        return 2
    config = json.loads(config_path.read_text())
    if config.get("model_type") != "mistral4":
        print(f"llamacpp_convert: {config_path}: model_type is {config.get('model_type')!r}, expected 'mistral4'", file=sys.stderr)
        return 2

    sys.path.insert(0, str(args.llama_cpp / "gguf-py"))
    sys.path.insert(0, str(args.llama_cpp))
    import convert_hf_to_gguf  # noqa: E402
    from conversion.mistral3 import Mistral3Model  # noqa: E402

    rope = config.get("rope_parameters") or {}
    beta = rope.get("llama_4_scaling_beta")
    period = rope.get("original_max_position_embeddings") or config.get("max_position_embeddings")
    vocab_size = config["vocab_size"]
    impl = Mistral3Model.Mistral4Model

    def set_vocab(self):
        self.gguf_writer.add_tokenizer_model("none")
        self.gguf_writer.add_vocab_size(vocab_size)

    base_parameters = impl.set_gguf_parameters

    def set_gguf_parameters(self):
        base_parameters(self)
        if beta:
            self.gguf_writer.add_attn_temperature_scale(float(beta))
            self.gguf_writer.add_attn_temperature_length(int(period))

    impl.set_vocab = set_vocab
    impl.set_gguf_parameters = set_gguf_parameters

    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        config["architectures"] = ["Mistral3ForConditionalGeneration"]
        (staged / "config.json").write_text(json.dumps(config, indent=2))
        for item in args.checkpoint.iterdir():
            if item.name != "config.json":
                (staged / item.name).symlink_to(item.resolve())
        sys.argv = [str(converter), str(staged), "--outfile", str(args.out), "--outtype", args.outtype]
        convert_hf_to_gguf.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
