// Decode kernels and widening for FP8 E4M3 weights with 128x128 block scales, kept 8-bit in memory.
// The SIMD paths widen codes in registers through IEEE half (sign-extend, shift, vcvtph2ps: exact,
// subnormals included), which yields value / 256; the 256 and each block's scale are folded into a
// copy of the activations made once per 128-row block, so the inner loop is widen + FMA only.
// Portable and AVX2 (with F16C) are here; AVX-512 is in stream_fp8_avx512.c.
#include "stream_paths.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SY_X86 1
#endif

// E4M3FN to float32, exact; the NaN code reads as +-480 (as the SIMD widening does).
static inline float e4m3_value(uint8_t code) {
    unsigned e = (code >> 3) & 0xF, m = code & 7;
    float magnitude;
    if (e == 0) {
        magnitude = (float)m * 0x1p-9f;
    } else {
        uint32_t bits = (e + 120u) << 23 | m << 20;
        memcpy(&magnitude, &bits, sizeof magnitude);
    }
    return (code & 0x80) ? -magnitude : magnitude;
}

static long scale_columns(long cols) { return (cols + SY_FP8_BLOCK - 1) / SY_FP8_BLOCK; }

// Portable: the definition, block by block: each block's partial sum times its scale.
void sy_stream_fp8_portable(const uint8_t *w, long cols, const float *scales, long row_phase,
                            const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1) {
    long sc = scale_columns(cols);
    for (long r = r0; r < r1; r++) {
        const uint8_t *row = w + r * cols;
        const float *s = scales + ((r + row_phase) / SY_FP8_BLOCK) * sc;
        for (long t = 0; t < tokens; t++) {
            const float *xt = x + t * ldx;
            float sum = 0;
            for (long b = 0; b < sc; b++) {
                long end = (b + 1) * SY_FP8_BLOCK < cols ? (b + 1) * SY_FP8_BLOCK : cols;
                float part = 0;
                for (long c = b * SY_FP8_BLOCK; c < end; c++) part += e4m3_value(row[c]) * xt[c];
                sum += part * s[b];
            }
            y[t * ldy + r] = sum;
        }
    }
}

static void fp8_to_f32_portable(const uint8_t *w, long cols, const float *scales, long row_phase,
                                long r0, long r1, float *dst) {
    long sc = scale_columns(cols);
    for (long r = r0; r < r1; r++) {
        const float *s = scales + ((r + row_phase) / SY_FP8_BLOCK) * sc;
        for (long c = 0; c < cols; c++) dst[(r - r0) * cols + c] = e4m3_value(w[r * cols + c]) * s[c / SY_FP8_BLOCK];
    }
}

#ifdef SY_X86
#define SY_AVX2 "avx2,fma,f16c"

// 16 codes to two vectors of 8 floats holding value / 256.
__attribute__((target(SY_AVX2), always_inline))
static inline void widen16(const uint8_t *p, __m256 *lo, __m256 *hi) {
    __m256i h = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
    h = _mm256_and_si256(_mm256_slli_epi16(h, 7), _mm256_set1_epi16((short)0xBFFF));
    *lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    *hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
}

__attribute__((target(SY_AVX2)))
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// xs[t][c] = x[t][c] * scale of c's block * 256, for one 128-row block's scales.
__attribute__((target(SY_AVX2)))
static void pack_scaled_avx2(const float *x, long ldx, long cols, long tokens, const float *s, float *xs) {
    for (long t = 0; t < tokens; t++)
        for (long b = 0; b * SY_FP8_BLOCK < cols; b++) {
            long c = b * SY_FP8_BLOCK, end = c + SY_FP8_BLOCK < cols ? c + SY_FP8_BLOCK : cols;
            float f = s[b] * 256.0f;
            __m256 fv = _mm256_set1_ps(f);
            for (; c + 8 <= end; c += 8) _mm256_storeu_ps(xs + t * cols + c, _mm256_mul_ps(_mm256_loadu_ps(x + t * ldx + c), fv));
            for (; c < end; c++) xs[t * cols + c] = x[t * ldx + c] * f;
        }
}

// One row against N (1-4) tokens of the scaled activations; N is a constant after inlining.
__attribute__((target(SY_AVX2), always_inline))
static inline void row_fp8(const uint8_t *row, long cols, const float *xs, const long n, float *y, long ldy) {
    __m256 a0[4], a1[4];
    for (long i = 0; i < n; i++) { a0[i] = _mm256_setzero_ps(); a1[i] = _mm256_setzero_ps(); }
    long c = 0;
    for (; c + 16 <= cols; c += 16) {
        __m256 w0, w1;
        widen16(row + c, &w0, &w1);
        sy_prefetch_ahead(row + cols, c / 16, 16);
        for (long i = 0; i < n; i++) {
            a0[i] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xs + i * cols + c), a0[i]);
            a1[i] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xs + i * cols + c + 8), a1[i]);
        }
    }
    for (long i = 0; i < n; i++) {
        float sum = hsum8(_mm256_add_ps(a0[i], a1[i]));
        for (long cc = c; cc < cols; cc++) sum += e4m3_value(row[cc]) * 0x1p-8f * xs[i * cols + cc];
        y[i * ldy] = sum;
    }
}

// Rows in order; for each 128-row block the activations are scaled once, then every row of the
// block is read once from memory and reused from L1 for each group of four tokens.
__attribute__((target(SY_AVX2)))
static void stream_fp8_avx2(const uint8_t *w, long cols, const float *scales, long row_phase,
                            const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1) {
    float *xs = sy_thread_scratch(tokens * cols * (long)sizeof(float));
    if (!xs) { sy_stream_fp8_portable(w, cols, scales, row_phase, x, ldx, tokens, y, ldy, r0, r1); return; }
    long sc = scale_columns(cols);
    for (long r = r0; r < r1;) {
        long block = (r + row_phase) / SY_FP8_BLOCK;
        long end = (block + 1) * SY_FP8_BLOCK - row_phase < r1 ? (block + 1) * SY_FP8_BLOCK - row_phase : r1;
        pack_scaled_avx2(x, ldx, cols, tokens, scales + block * sc, xs);
        for (; r < end; r++) {
            const uint8_t *row = w + r * cols;
            for (long t0 = 0; t0 < tokens; t0 += 4) {
                const float *xt = xs + t0 * cols;
                float *yt = y + t0 * ldy + r;
                switch (tokens - t0) {
                case 1: row_fp8(row, cols, xt, 1, yt, ldy); break;
                case 2: row_fp8(row, cols, xt, 2, yt, ldy); break;
                case 3: row_fp8(row, cols, xt, 3, yt, ldy); break;
                default: row_fp8(row, cols, xt, 4, yt, ldy); break;
                }
            }
        }
    }
}

__attribute__((target(SY_AVX2)))
static void fp8_to_f32_avx2(const uint8_t *w, long cols, const float *scales, long row_phase,
                            long r0, long r1, float *dst) {
    long sc = scale_columns(cols);
    for (long r = r0; r < r1; r++) {
        const uint8_t *row = w + r * cols;
        const float *s = scales + ((r + row_phase) / SY_FP8_BLOCK) * sc;
        float *d = dst + (r - r0) * cols;
        for (long b = 0; b < sc; b++) {
            long c = b * SY_FP8_BLOCK, end = c + SY_FP8_BLOCK < cols ? c + SY_FP8_BLOCK : cols;
            // value / 256 times (scale * 256), both exact scalings: one rounding, as the portable path.
            __m256 f = _mm256_set1_ps(s[b] * 256.0f);
            for (; c + 16 <= end; c += 16) {
                __m256 lo, hi;
                widen16(row + c, &lo, &hi);
                _mm256_storeu_ps(d + c, _mm256_mul_ps(lo, f));
                _mm256_storeu_ps(d + c + 8, _mm256_mul_ps(hi, f));
            }
            for (; c < end; c++) d[c] = e4m3_value(row[c]) * s[b];
        }
    }
}

static int has_f16c(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("f16c") ? 1 : 0;
    }
    return cached;
}

static int has_vbmi(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512vbmi") ? 1 : 0;
    }
    return cached;
}
#endif

int sy_fp8_lookup_supported(void) {
#ifdef SY_X86
    return sy_kernel_path_supported(SY_KERNELS_AVX512) && has_vbmi();
#else
    return 0;
#endif
}

void sy_stream_fp8_avx512_lookup(int lookup, const uint8_t *w, long cols, const float *scales, long row_phase,
                                 const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end) {
#ifdef SY_X86
    if (sy_kernel_path_supported(SY_KERNELS_AVX512)) {
        sy_stream_fp8_avx512(lookup && has_vbmi(), w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end);
        return;
    }
#endif
    sy_stream_fp8(w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end);
}

static void stream_fp8_rows(int path, const uint8_t *w, long cols, const float *scales, long row_phase,
                            const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end) {
    int usable = sy_kernel_path_supported(path) ? path : sy_kernel_path();
    switch (usable) {
#ifdef SY_X86
    // The codes' bf16 words go into vdpbf16ps; it needs the lookup (VBMI), else the avx512 kernel runs.
    case SY_KERNELS_AVX512BF16:
        if (has_vbmi()) { sy_stream_fp8_avx512bf16(w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end); return; }
        // fall through
    case SY_KERNELS_AVX512:
        sy_stream_fp8_avx512(has_vbmi(), w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end);
        return;
    case SY_KERNELS_AVX2:
        if (has_f16c()) { stream_fp8_avx2(w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end); return; }
        break;
#endif
    default: break;
    }
    sy_stream_fp8_portable(w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end);
}

void sy_stream_fp8_on(int path, const uint8_t *w, long cols, const float *scales, long row_phase,
                      const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end) {
    // Tiles of whole 128-row scale blocks (from row 0's block boundary), as the kernels walk them.
    long step = row_end - row_begin;
    if (tokens > SY_STREAM_PASS_TOKENS) {
        long blocks = sy_stream_tile_rows(cols) / SY_FP8_BLOCK;
        step = (blocks > 0 ? blocks : 1) * SY_FP8_BLOCK;
    }
    for (long a = row_begin; a < row_end;) {
        long b = tokens > SY_STREAM_PASS_TOKENS ? ((a + row_phase) / step + 1) * step - row_phase : row_end;
        if (b > row_end) b = row_end;
        stream_fp8_rows(path, w, cols, scales, row_phase, x, ldx, tokens, y, ldy, a, b);
        a = b;
    }
}

void sy_stream_fp8(const uint8_t *w, long cols, const float *scales, long row_phase,
                   const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end) {
    sy_stream_fp8_on(sy_kernel_path(), w, cols, scales, row_phase, x, ldx, tokens, y, ldy, row_begin, row_end);
}

void sy_fp8_to_f32(const uint8_t *w, long cols, const float *scales, long row_phase,
                   long row_begin, long row_end, float *dst) {
#ifdef SY_X86
    if (sy_kernel_path_supported(SY_KERNELS_AVX512)) { sy_fp8_to_f32_avx512(w, cols, scales, row_phase, row_begin, row_end, dst); return; }
    if (sy_kernel_path_supported(SY_KERNELS_AVX2) && has_f16c()) { fp8_to_f32_avx2(w, cols, scales, row_phase, row_begin, row_end, dst); return; }
#endif
    fp8_to_f32_portable(w, cols, scales, row_phase, row_begin, row_end, dst);
}
