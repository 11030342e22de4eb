// Memory-bound matrix-vector kernels for decode shapes (1-8 tokens per weight row).
// OpenBLAS sgemm reaches about a third of the memory's rate on these shapes; reading each weight
// row once, in 16-bit where it is stored so, and reusing it from L1 for every token does better.
// The path (portable, AVX2+FMA, AVX-512, AVX512-BF16 in stream_avx512.c) is chosen at run time
// from CPUID, or forced per call so tests can hold every path against the portable one.
#include "stream_paths.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SY_X86 1
#endif

static inline float bf16_value(uint16_t bits) {
    uint32_t u = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t bf16_bits(float value) {
    uint32_t x;
    memcpy(&x, &value, sizeof x);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

// Portable: rows one at a time, up to 4 tokens per pass over the (cached) row.
void sy_stream_bf16_portable(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                                 float *y, long ldy, long r0, long r1) {
    for (long r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        for (long t = 0; t < tokens; t++) {
            const float *xt = x + t * ldx;
            float sum = 0;
            for (long c = 0; c < cols; c++) sum += bf16_value(row[c]) * xt[c];
            y[t * ldy + r] = sum;
        }
    }
}

void sy_stream_f32_portable(const float *w, long cols, const float *x, long ldx, long tokens,
                                float *y, long ldy, long r0, long r1) {
    for (long r = r0; r < r1; r++) {
        const float *row = w + r * cols;
        for (long t = 0; t < tokens; t++) {
            const float *xt = x + t * ldx;
            float sum = 0;
            for (long c = 0; c < cols; c++) sum += row[c] * xt[c];
            y[t * ldy + r] = sum;
        }
    }
}

#ifdef SY_X86
__attribute__((target("avx2,fma")))
static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static inline __m256 load_bf16x8(const uint16_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// One weight row against N (1-4) tokens, N a constant after inlining so the accumulators stay in
// registers; two accumulators per token hide the FMA latency.
#define SY_DEFINE_ROW(NAME, TYPE, LOAD, SCALAR)                                                   \
    __attribute__((target("avx2,fma"), always_inline))                                           \
    static inline void NAME(const TYPE *row, long cols, const float *x, long ldx, const long n,    \
                            float *y, long ldy) {                                                 \
        __m256 a0[4], a1[4];                                                                      \
        for (long i = 0; i < n; i++) { a0[i] = _mm256_setzero_ps(); a1[i] = _mm256_setzero_ps(); } \
        long c = 0;                                                                               \
        for (; c + 16 <= cols; c += 16) {                                                         \
            __m256 w0 = LOAD(row + c), w1 = LOAD(row + c + 8);                                    \
            sy_prefetch_ahead(row + cols, c / 16, 16 * (long)sizeof(TYPE));                       \
            for (long i = 0; i < n; i++) {                                                        \
                a0[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i * ldx + c), a0[i]);             \
                a1[i] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i * ldx + c + 8), a1[i]);         \
            }                                                                                     \
        }                                                                                         \
        for (long i = 0; i < n; i++) {                                                            \
            float sum = hsum256(_mm256_add_ps(a0[i], a1[i]));                                     \
            for (long cc = c; cc < cols; cc++) sum += SCALAR(row[cc]) * x[i * ldx + cc];          \
            y[i * ldy] = sum;                                                                     \
        }                                                                                         \
    }

#define SY_IDENTITY(v) (v)
SY_DEFINE_ROW(row_bf16, uint16_t, load_bf16x8, bf16_value)
SY_DEFINE_ROW(row_f32, float, _mm256_loadu_ps, SY_IDENTITY)

// Several tokens: four rows at a time, in chunks of SY_CHUNK columns. The first token's pass over
// a chunk reads the weights from memory as the one-token kernel does, the access pattern memory
// streams best (measured: about 1.6 times the row-by-row kernel at 2-8 tokens); the other
// tokens, in pairs, reuse the chunk from L1 (16-bit weights widened to float32 once).
#define SY_CHUNK 256
#define SY_MAX_TOKENS 64
#define SY_DEFINE_CHUNKED(NAME, TYPE, LOAD, SCALAR, WIDEN)                                               \
    __attribute__((target("avx2,fma")))                                                          \
    static void NAME(const TYPE *w, long cols, const float *x, long ldx, long tokens,             \
                     float *y, long ldy, long r) {                                                \
        const TYPE *w0 = w + r * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;         \
        float part[4][SY_MAX_TOKENS];                                                             \
        /* 16-bit weights: the chunk's four rows as float32, interleaved by 8 columns, widened */ \
        /* once and read by every later token. Float32 weights are read where they are.        */ \
        float wide[4 * SY_CHUNK] __attribute__((aligned(32)));                                    \
        for (int i = 0; i < 4; i++) for (long t = 0; t < tokens; t++) part[i][t] = 0;             \
        long vectorized = cols & ~7L;                                                             \
        for (long c0 = 0; c0 < vectorized; c0 += SY_CHUNK) {                                      \
            long end = c0 + SY_CHUNK < vectorized ? c0 + SY_CHUNK : vectorized;                  \
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                           \
            for (long c = c0; c < end; c += 8) {                                                  \
                __m256 xv = _mm256_loadu_ps(x + c);                                               \
                __m256 q0 = LOAD(w0 + c), q1 = LOAD(w1 + c), q2 = LOAD(w2 + c), q3 = LOAD(w3 + c); \
                sy_prefetch_ahead(w0 + 4 * cols, c / 8, 4 * 8 * (long)sizeof(TYPE));            \
                if (WIDEN) {                                                                      \
                    float *b = wide + (c - c0) * 4;                                               \
                    _mm256_store_ps(b, q0); _mm256_store_ps(b + 8, q1);                           \
                    _mm256_store_ps(b + 16, q2); _mm256_store_ps(b + 24, q3);                     \
                }                                                                                 \
                a0 = _mm256_fmadd_ps(q0, xv, a0); a1 = _mm256_fmadd_ps(q1, xv, a1);               \
                a2 = _mm256_fmadd_ps(q2, xv, a2); a3 = _mm256_fmadd_ps(q3, xv, a3);               \
            }                                                                                     \
            part[0][0] += hsum256(a0); part[1][0] += hsum256(a1);                                 \
            part[2][0] += hsum256(a2); part[3][0] += hsum256(a3);                                 \
            for (long t = 1; t < tokens; t += 2) {                                                \
                const float *xu = x + t * ldx, *xv = x + (t + 1 < tokens ? t + 1 : t) * ldx;      \
                __m256 b0 = _mm256_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;                       \
                __m256 d0 = b0, d1 = b0, d2 = b0, d3 = b0;                                        \
                for (long c = c0; c < end; c += 8) {                                              \
                    __m256 u = _mm256_loadu_ps(xu + c), v = _mm256_loadu_ps(xv + c);              \
                    __m256 q0, q1, q2, q3;                                                        \
                    if (WIDEN) {                                                                  \
                        const float *b = wide + (c - c0) * 4;                                     \
                        q0 = _mm256_load_ps(b); q1 = _mm256_load_ps(b + 8);                       \
                        q2 = _mm256_load_ps(b + 16); q3 = _mm256_load_ps(b + 24);                 \
                    } else {                                                                      \
                        q0 = LOAD(w0 + c); q1 = LOAD(w1 + c); q2 = LOAD(w2 + c); q3 = LOAD(w3 + c); \
                    }                                                                             \
                    b0 = _mm256_fmadd_ps(q0, u, b0); b1 = _mm256_fmadd_ps(q1, u, b1);             \
                    b2 = _mm256_fmadd_ps(q2, u, b2); b3 = _mm256_fmadd_ps(q3, u, b3);             \
                    d0 = _mm256_fmadd_ps(q0, v, d0); d1 = _mm256_fmadd_ps(q1, v, d1);             \
                    d2 = _mm256_fmadd_ps(q2, v, d2); d3 = _mm256_fmadd_ps(q3, v, d3);             \
                }                                                                                 \
                part[0][t] += hsum256(b0); part[1][t] += hsum256(b1);                             \
                part[2][t] += hsum256(b2); part[3][t] += hsum256(b3);                             \
                if (t + 1 < tokens) {                                                             \
                    part[0][t + 1] += hsum256(d0); part[1][t + 1] += hsum256(d1);                 \
                    part[2][t + 1] += hsum256(d2); part[3][t + 1] += hsum256(d3);                 \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (int i = 0; i < 4; i++) {                                                             \
            const TYPE *row = w0 + i * cols;                                                      \
            for (long t = 0; t < tokens; t++) {                                                   \
                float sum = part[i][t];                                                           \
                for (long c = vectorized; c < cols; c++) sum += SCALAR(row[c]) * x[t * ldx + c];  \
                y[t * ldy + r + i] = sum;                                                         \
            }                                                                                     \
        }                                                                                         \
    }

SY_DEFINE_CHUNKED(chunked_bf16, uint16_t, load_bf16x8, bf16_value, 1)
SY_DEFINE_CHUNKED(chunked_f32, float, _mm256_loadu_ps, SY_IDENTITY, 0)

// One token, or rows left over from blocks of four: rows in order; tokens in groups of four,
// each group reusing the row from L1.
#define SY_DEFINE_STREAM(NAME, TYPE, ROW, CHUNKED)                                                \
    __attribute__((target("avx2,fma")))                                                          \
    static void NAME(const TYPE *w, long cols, const float *x, long ldx, long tokens,             \
                     float *y, long ldy, long r0, long r1) {                                      \
        for (long r = r0; r < r1; r++) {                                                          \
            if (tokens >= 2 && tokens <= SY_MAX_TOKENS && r + 4 <= r1) {                          \
                CHUNKED(w, cols, x, ldx, tokens, y, ldy, r);                                      \
                r += 3;                                                                           \
                continue;                                                                         \
            }                                                                                     \
            const TYPE *row = w + r * cols;                                                       \
            for (long t0 = 0; t0 < tokens; t0 += 4) {                                             \
                const float *xt = x + t0 * ldx;                                                   \
                float *yt = y + t0 * ldy + r;                                                     \
                switch (tokens - t0) {                                                            \
                case 1: ROW(row, cols, xt, ldx, 1, yt, ldy); break;                               \
                case 2: ROW(row, cols, xt, ldx, 2, yt, ldy); break;                               \
                case 3: ROW(row, cols, xt, ldx, 3, yt, ldy); break;                               \
                default: ROW(row, cols, xt, ldx, 4, yt, ldy); break;                              \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

SY_DEFINE_STREAM(stream_bf16_avx2, uint16_t, row_bf16, chunked_bf16)
SY_DEFINE_STREAM(stream_f32_avx2, float, row_f32, chunked_f32)

__attribute__((target("avx2")))
static float sum_f32_avx2(const float *v, long count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    long i = 0;
    for (; i + 64 <= count; i += 64) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(v + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(v + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(v + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(v + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_loadu_ps(v + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_loadu_ps(v + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_loadu_ps(v + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_loadu_ps(v + i + 56));
    }
    __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < count; i++) sum += v[i];
    return sum;
}

__attribute__((target("avx2")))
static void bf16_to_f32_avx2(const uint16_t *src, float *dst, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, load_bf16x8(src + i));
    for (; i < count; i++) dst[i] = bf16_value(src[i]);
}

__attribute__((target("avx2")))
static void f32_to_bf16_avx2(const float *src, uint16_t *dst, long count) {
    const __m256i bias = _mm256_set1_epi32(0x7FFF), one = _mm256_set1_epi32(1);
    const __m256i absMask = _mm256_set1_epi32(0x7FFFFFFF), inf = _mm256_set1_epi32(0x7F800000);
    const __m256i quiet = _mm256_set1_epi32(0x40);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), one);
        __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(x, _mm256_add_epi32(bias, lsb)), 16);
        __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, absMask), inf);
        __m256i quieted = _mm256_or_si256(_mm256_srli_epi32(x, 16), quiet);
        __m256i bits = _mm256_blendv_epi8(rounded, quieted, nan);
        // Pack the low halves of the eight 32-bit lanes into eight 16-bit values.
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(bits, bits), 0x08);
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_castsi256_si128(packed));
    }
    for (; i < count; i++) dst[i] = bf16_bits(src[i]);
}

#endif

// The paths this CPU runs, one bit per sy_kernel_path; the OS must also save zmm state, which
// __builtin_cpu_supports checks (XGETBV) for the AVX-512 features.
static int supported_mask(void) {
    static int cached = -1;
    if (cached >= 0) return cached;
    int mask = 1 << SY_KERNELS_PORTABLE;
#ifdef SY_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        mask |= 1 << SY_KERNELS_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl")) {
            mask |= 1 << SY_KERNELS_AVX512;
            if (__builtin_cpu_supports("avx512bf16")) mask |= 1 << SY_KERNELS_AVX512BF16;
        }
    }
#endif
    cached = mask;
    return mask;
}

int sy_kernel_path_supported(int path) {
    return path >= 0 && path < SY_KERNELS_COUNT && (supported_mask() >> path & 1);
}

// The default: the fastest path whose results match float32 arithmetic on the stored weights.
// AVX512-BF16 rounds activations to bf16, so it runs only when asked for.
int sy_kernel_path_best(void) {
    if (sy_kernel_path_supported(SY_KERNELS_AVX512)) return SY_KERNELS_AVX512;
    if (sy_kernel_path_supported(SY_KERNELS_AVX2)) return SY_KERNELS_AVX2;
    return SY_KERNELS_PORTABLE;
}

static _Atomic int selected = -1;

int sy_kernel_path(void) {
    int path = selected;
    if (path < 0) {
        path = sy_kernel_path_best();
        selected = path;
    }
    return path;
}

int sy_kernel_path_select(int path) {
    if (!sy_kernel_path_supported(path)) return -1;
    selected = path;
    return 0;
}

// AVX-512 kernels with one token: a row at a time, no prefetch, on AMD CPUs. Measured on an AMD
// EPYC (Zen 4, 2 cores), a 131,072 × 4096 bf16 product at 1 token over a mapped file, medians of 6
// alternating runs: 20.3 → 28.5 GB/s widened in registers, 22.2 → 42.6 GB/s by vdpbf16ps (float32
// about 1.07 times); blocks of 4 rows without the prefetch 21.6 and 24.4, one row with it 22.7 and
// 29.4. On Intel the blocks with the prefetch measured about 3 times the rate of rows read in place,
// so they stay.
static _Atomic int single_row = -1;

static int single_row_default(void) {
#ifdef SY_X86
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") ? 1 : 0;
#else
    return 0;
#endif
}

int sy_stream_single_row_enabled(void) {
    int value = single_row;
    if (value < 0) single_row = value = single_row_default();
    return value;
}

void sy_stream_set_single_row(int enabled) { single_row = enabled ? 1 : 0; }

const char *sy_kernel_path_name(int path) {
    switch (path) {
    case SY_KERNELS_PORTABLE: return "portable";
    case SY_KERNELS_AVX2: return "avx2";
    case SY_KERNELS_AVX512: return "avx512";
    case SY_KERNELS_AVX512BF16: return "avx512bf16";
    default: return "unknown";
    }
}

// A path this CPU cannot run falls back to the selected one rather than faulting.
static int usable(int path) { return sy_kernel_path_supported(path) ? path : sy_kernel_path(); }
// Conversions and sums are exact (or a baseline) on every path: they use what the CPU has.
static int has_avx2_fma(void) { return sy_kernel_path_supported(SY_KERNELS_AVX2); }

// Rows a tile of `row_bytes`-byte rows holds (at least 1): SY_STREAM_TILE_BYTES in ckernels.h.
long sy_stream_tile_rows(long row_bytes) {
    long rows = SY_STREAM_TILE_BYTES / (row_bytes > 0 ? row_bytes : 1);
    return rows > 0 ? rows : 1;
}

static void stream_bf16_rows(int path, const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                             float *y, long ldy, long row_begin, long row_end) {
    switch (usable(path)) {
#ifdef SY_X86
    case SY_KERNELS_AVX512BF16: sy_stream_bf16_avx512bf16(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
    case SY_KERNELS_AVX512: sy_stream_bf16_avx512(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
    case SY_KERNELS_AVX2: stream_bf16_avx2(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
#endif
    default: sy_stream_bf16_portable(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
    }
}

void sy_stream_bf16_on(int path, const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                       float *y, long ldy, long row_begin, long row_end) {
    long step = tokens > SY_STREAM_PASS_TOKENS ? sy_stream_tile_rows(cols * 2) : row_end - row_begin;
    for (long a = row_begin; a < row_end; a += step)
        stream_bf16_rows(path, w, cols, x, ldx, tokens, y, ldy, a, row_end - a > step ? a + step : row_end);
}

static void stream_f32_rows(int path, const float *w, long cols, const float *x, long ldx, long tokens,
                            float *y, long ldy, long row_begin, long row_end) {
    switch (usable(path)) {
#ifdef SY_X86
    case SY_KERNELS_AVX512BF16:
    case SY_KERNELS_AVX512: sy_stream_f32_avx512(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
    case SY_KERNELS_AVX2: stream_f32_avx2(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
#endif
    default: sy_stream_f32_portable(w, cols, x, ldx, tokens, y, ldy, row_begin, row_end); return;
    }
}

void sy_stream_f32_on(int path, const float *w, long cols, const float *x, long ldx, long tokens,
                      float *y, long ldy, long row_begin, long row_end) {
    long step = tokens > SY_STREAM_PASS_TOKENS ? sy_stream_tile_rows(cols * 4) : row_end - row_begin;
    for (long a = row_begin; a < row_end; a += step)
        stream_f32_rows(path, w, cols, x, ldx, tokens, y, ldy, a, row_end - a > step ? a + step : row_end);
}

void sy_stream_bf16(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                    float *y, long ldy, long row_begin, long row_end) {
    sy_stream_bf16_on(sy_kernel_path(), w, cols, x, ldx, tokens, y, ldy, row_begin, row_end);
}

void sy_stream_f32(const float *w, long cols, const float *x, long ldx, long tokens,
                   float *y, long ldy, long row_begin, long row_end) {
    sy_stream_f32_on(sy_kernel_path(), w, cols, x, ldx, tokens, y, ldy, row_begin, row_end);
}

void sy_bf16_to_f32(const uint16_t *src, float *dst, long count) {
#ifdef SY_X86
    if (has_avx2_fma()) { bf16_to_f32_avx2(src, dst, count); return; }
#endif
    for (long i = 0; i < count; i++) dst[i] = bf16_value(src[i]);
}

void sy_f32_to_bf16(const float *src, uint16_t *dst, long count) {
#ifdef SY_X86
    if (has_avx2_fma()) { f32_to_bf16_avx2(src, dst, count); return; }
#endif
    for (long i = 0; i < count; i++) dst[i] = bf16_bits(src[i]);
}

float sy_sum_f32(const float *values, long count) {
#ifdef SY_X86
    if (has_avx2_fma()) return sum_f32_avx2(values, count);
#endif
    float sum = 0;
    for (long i = 0; i < count; i++) sum += values[i];
    return sum;
}

const char *sy_kernel_isa(void) { return sy_kernel_path_name(sy_kernel_path()); }
