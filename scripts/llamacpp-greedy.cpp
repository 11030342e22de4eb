// Greedy decoding with libllama from token ids, timed as `switchyard generate` times it: the prompt
// in one llama_process call (which yields the first new token), then one position per call.
// Built and run by scripts/bench-llamacpp.sh, which has no tokenizer to give llama.cpp's own tools
// (the GGUF carries a placeholder vocabulary), so ids go in and ids come out.
//
//   llamacpp-greedy MODEL.gguf --tokens 1,2,3 --new N --threads T [--warmup W] [--logits FILE]
//
// Prints one JSON line: generated ids, prefill and decode seconds, prompt and decode tokens/s.
// --logits writes the prompt's last position's logits as raw little-endian float32.
// Flash attention is off (llama.cpp's CPU flash attention casts K and V to f16) and the KV cache
// is float32 (its default is f16), so f32 weights compute in float32 throughout, as Switchyard does.
#include "llama.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static void usage() {
    fprintf(stderr, "usage: llamacpp-greedy MODEL.gguf --tokens 1,2,3 --new N --threads T [--warmup W] [--logits FILE]\n");
    exit(2);
}

static std::vector<llama_token> parse_ids(const char * text) {
    std::vector<llama_token> ids;
    std::string s(text);
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        char * end = nullptr;
        long v = strtol(part.c_str(), &end, 10);
        if (part.empty() || *end != '\0' || v < 0) {
            fprintf(stderr, "llamacpp-greedy: --tokens: '%s' is not a token id\n", part.c_str());
            exit(2);
        }
        ids.push_back((llama_token) v);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return ids;
}

static void set_tokens(llama_batch_ext * batch, const llama_token * tokens, int n, llama_pos pos0) {
    llama_batch_ext_clear(batch);
    for (int i = 0; i < n; i++) {
        const int32_t idx = llama_batch_ext_add_token(batch, 0, tokens[i]);
        const llama_pos pos = pos0 + i;
        llama_batch_ext_set_pos(batch, idx, &pos);
    }
    llama_batch_ext_set_output_logits(batch, n - 1, true);
}

// The index of the largest logit; ties go to the lower index, as Switchyard's (and torch's) argmax.
static llama_token argmax(const float * logits, int n_vocab) {
    int best = 0;
    for (int i = 1; i < n_vocab; i++) {
        if (logits[i] > logits[best]) best = i;
    }
    return best;
}

struct Run {
    std::vector<llama_token> generated;
    std::vector<float> last_logits;
    double prefill_s = 0, decode_s = 0;
};

static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static Run generate(llama_context * ctx, llama_batch_ext * batch, const std::vector<llama_token> & prompt, int n_new, int n_vocab) {
    Run run;
    llama_memory_clear(llama_get_memory(ctx), true);
    double t = now_s();
    set_tokens(batch, prompt.data(), (int) prompt.size(), 0);
    if (llama_process(ctx, LLAMA_PROCESS_TYPE_DECODE, batch) != 0) {
        fprintf(stderr, "llamacpp-greedy: the prompt's llama_process failed\n");
        exit(1);
    }
    const float * logits = llama_get_logits_ith(ctx, -1);
    run.last_logits.assign(logits, logits + n_vocab);
    llama_token next = argmax(logits, n_vocab);
    run.prefill_s = now_s() - t;
    if (n_new == 0) return run;
    run.generated.push_back(next);
    t = now_s();
    llama_pos pos = (llama_pos) prompt.size();
    while ((int) run.generated.size() < n_new) {
        set_tokens(batch, &next, 1, pos++);
        if (llama_process(ctx, LLAMA_PROCESS_TYPE_DECODE, batch) != 0) {
            fprintf(stderr, "llamacpp-greedy: llama_process failed at position %d\n", pos - 1);
            exit(1);
        }
        next = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
        run.generated.push_back(next);
    }
    run.decode_s = now_s() - t;
    return run;
}

int main(int argc, char ** argv) {
    if (argc < 2) usage();
    const char * model_path = argv[1];
    std::vector<llama_token> prompt;
    int n_new = 16, threads = 0, warmup = 1;
    const char * logits_path = nullptr;
    for (int i = 2; i < argc; i++) {
        auto value = [&](const char * flag) -> const char * {
            if (i + 1 >= argc) { fprintf(stderr, "llamacpp-greedy: %s needs a value\n", flag); exit(2); }
            return argv[++i];
        };
        if (!strcmp(argv[i], "--tokens")) prompt = parse_ids(value("--tokens"));
        else if (!strcmp(argv[i], "--new")) n_new = atoi(value("--new"));
        else if (!strcmp(argv[i], "--threads")) threads = atoi(value("--threads"));
        else if (!strcmp(argv[i], "--warmup")) warmup = atoi(value("--warmup"));
        else if (!strcmp(argv[i], "--logits")) logits_path = value("--logits");
        else { fprintf(stderr, "llamacpp-greedy: unknown option %s\n", argv[i]); usage(); }
    }
    if (prompt.empty()) { fprintf(stderr, "llamacpp-greedy: --tokens is required\n"); usage(); }
    if (threads < 1) { fprintf(stderr, "llamacpp-greedy: --threads must be at least 1\n"); exit(2); }
    if (n_new < 0 || warmup < 0) { fprintf(stderr, "llamacpp-greedy: --new and --warmup must be at least 0\n"); exit(2); }

    llama_backend_init();
    llama_model_params mparams = llama_model_default_params();
    mparams.n_gpu_layers = 0;
    llama_model * model = llama_model_load_from_file(model_path, mparams);
    if (!model) { fprintf(stderr, "llamacpp-greedy: cannot load %s\n", model_path); return 1; }
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    for (llama_token id : prompt) {
        if (id >= n_vocab) { fprintf(stderr, "llamacpp-greedy: --tokens: id %d is outside the vocabulary of %d\n", id, n_vocab); return 2; }
    }

    llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = (uint32_t) (prompt.size() + n_new + 16);
    cparams.n_batch = cparams.n_ubatch = (uint32_t) prompt.size();
    cparams.n_threads = cparams.n_threads_batch = threads;
    cparams.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    // The KV cache in float32, as Switchyard keeps it (llama.cpp's default is f16).
    cparams.type_k = GGML_TYPE_F32;
    cparams.type_v = GGML_TYPE_F32;
    cparams.no_perf = true;
    llama_context * ctx = llama_init_from_model(model, cparams);
    if (!ctx) { fprintf(stderr, "llamacpp-greedy: cannot create a context\n"); return 1; }
    llama_batch_ext * batch = llama_batch_ext_init(ctx);

    for (int w = 0; w < warmup; w++) generate(ctx, batch, prompt, n_new, n_vocab);
    Run run = generate(ctx, batch, prompt, n_new, n_vocab);

    if (logits_path) {
        FILE * f = fopen(logits_path, "wb");
        if (!f || fwrite(run.last_logits.data(), sizeof(float), run.last_logits.size(), f) != run.last_logits.size()) {
            fprintf(stderr, "llamacpp-greedy: cannot write %s\n", logits_path);
            return 1;
        }
        fclose(f);
    }
    printf("{\"generated\": [");
    for (size_t i = 0; i < run.generated.size(); i++) printf("%s%d", i ? ", " : "", run.generated[i]);
    const double decode_tps = run.decode_s > 0 ? (run.generated.size() - 1) / run.decode_s : 0;
    printf("], \"prefill_seconds\": %.6f, \"decode_seconds\": %.6f, \"prompt_tokens_per_second\": %.3f, "
           "\"decode_tokens_per_second\": %.3f, \"threads\": %d}\n",
           run.prefill_s, run.decode_s, prompt.size() / run.prefill_s, decode_tps, threads);

    llama_batch_ext_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
