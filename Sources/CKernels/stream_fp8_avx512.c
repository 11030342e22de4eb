// AVX-512 kernels for FP8 E4M3 weights with 128x128 block scales: a block of rows against every
// token at once, all partial sums in zmm registers, each weight byte loaded once. 32 codes become
// 32 floats (value / 256) in four instructions; the activations are copied once per 128-row block,
// scaled by that block's scales and 256, in blocks of 32 columns per token (zero past `cols`).
#include "stream_paths.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define SY_512 "avx512f,avx512bw,avx512vl"

// Sign-extend to 16 bits, move exponent and mantissa into an IEEE half's place, clear the spare
// sign copy, convert: exact for every code, subnormals included.
__attribute__((target(SY_512), always_inline))
static inline void widen32(__m256i codes, __m512 *lo, __m512 *hi) {
    __m512i h = _mm512_cvtepi8_epi16(codes);
    h = _mm512_and_si512(_mm512_slli_epi16(h, 7), _mm512_set1_epi16((short)0xBFFF));
    *lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    *hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
}

static inline __mmask32 tail_mask(long cols) {
    return (cols & 31) ? (__mmask32)((1u << (cols & 31)) - 1) : (__mmask32)0xFFFFFFFFu;
}

// Rows [r, r+R) against tokens [0, T); R and T are constants after inlining.
__attribute__((target(SY_512), always_inline))
static inline void block_fp8(const uint8_t *w, long cols, const float *xp, const long T, const long R,
                             float *y, long ldy) {
    __m512 acc[4][8];
    for (long i = 0; i < R; i++) for (long t = 0; t < T; t++) acc[i][t] = _mm512_setzero_ps();
    long blocks = (cols + 31) / 32;
    __mmask32 tail = tail_mask(cols);
    const uint8_t *ahead = w + R * cols;
    for (long b = 0; b < blocks; b++) {
        __mmask32 m = b + 1 == blocks ? tail : (__mmask32)0xFFFFFFFFu;
        __m512 lo[4], hi[4];
        for (long i = 0; i < R; i++) widen32(_mm256_maskz_loadu_epi8(m, w + i * cols + b * 32), &lo[i], &hi[i]);
        sy_prefetch_ahead(ahead, b, R * 32);
        const float *xb = xp + b * T * 32;
        for (long t = 0; t < T; t++) {
            __m512 xl = _mm512_load_ps(xb + t * 32), xh = _mm512_load_ps(xb + t * 32 + 16);
            for (long i = 0; i < R; i++) {
                acc[i][t] = _mm512_fmadd_ps(lo[i], xl, acc[i][t]);
                acc[i][t] = _mm512_fmadd_ps(hi[i], xh, acc[i][t]);
            }
        }
    }
    for (long i = 0; i < R; i++) for (long t = 0; t < T; t++) y[t * ldy + i] = _mm512_reduce_add_ps(acc[i][t]);
}

// xp[b][t][0..32) = x[t][32b ..] * (scale of the 128-column block holding 32b) * 256.
__attribute__((target(SY_512)))
static void pack_scaled(const float *x, long ldx, long cols, long T, const float *s, float *xp) {
    long blocks = (cols + 31) / 32;
    for (long b = 0; b < blocks; b++) {
        long c = b * 32, n = cols - c < 32 ? cols - c : 32;
        __mmask16 lo = n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
        __mmask16 hi = n >= 32 ? 0xFFFF : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
        __m512 f = _mm512_set1_ps(s[c / SY_FP8_BLOCK] * 256.0f);
        for (long t = 0; t < T; t++) {
            float *d = xp + (b * T + t) * 32;
            _mm512_store_ps(d, _mm512_mul_ps(_mm512_maskz_loadu_ps(lo, x + t * ldx + c), f));
            _mm512_store_ps(d + 16, _mm512_mul_ps(_mm512_maskz_loadu_ps(hi, x + t * ldx + c + 16), f));
        }
    }
}

// Rows per block for T tokens: R*T accumulators and 2R widened vectors in the 32 zmm registers.
#define SY_FP8_ROWS(T) ((T) <= 4 ? 4 : 3)
#define SY_FP8_RUN(T)                                                                             \
    {                                                                                             \
        long rr = r;                                                                              \
        for (; rr + SY_FP8_ROWS(T) <= end; rr += SY_FP8_ROWS(T))                                  \
            block_fp8(w + rr * cols, cols, xp, T, SY_FP8_ROWS(T), y + rr, ldy);                   \
        for (; rr < end; rr++) block_fp8(w + rr * cols, cols, xp, T, 1, y + rr, ldy);             \
    }

__attribute__((target(SY_512)))
void sy_stream_fp8_avx512(const uint8_t *w, long cols, const float *scales, long row_phase,
                          const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1) {
    long blocks = (cols + 31) / 32, sc = (cols + SY_FP8_BLOCK - 1) / SY_FP8_BLOCK;
    for (long t0 = 0; t0 < tokens; t0 += 8, x += 8 * ldx, y += 8 * ldy) {
        long T = tokens - t0 < 8 ? tokens - t0 : 8;
        float *xp = sy_thread_scratch(blocks * T * 32 * (long)sizeof(float));
        if (!xp) { sy_stream_fp8_portable(w, cols, scales, row_phase, x, ldx, T, y, ldy, r0, r1); continue; }
        for (long r = r0; r < r1;) {
            long block = (r + row_phase) / SY_FP8_BLOCK;
            long end = (block + 1) * SY_FP8_BLOCK - row_phase < r1 ? (block + 1) * SY_FP8_BLOCK - row_phase : r1;
            pack_scaled(x, ldx, cols, T, scales + block * sc, xp);
            switch (T) {
            case 1: SY_FP8_RUN(1) break; case 2: SY_FP8_RUN(2) break; case 3: SY_FP8_RUN(3) break;
            case 4: SY_FP8_RUN(4) break; case 5: SY_FP8_RUN(5) break; case 6: SY_FP8_RUN(6) break;
            case 7: SY_FP8_RUN(7) break; default: SY_FP8_RUN(8) break;
            }
            r = end;
        }
    }
}

__attribute__((target(SY_512)))
void sy_fp8_to_f32_avx512(const uint8_t *w, long cols, const float *scales, long row_phase,
                          long r0, long r1, float *dst) {
    long sc = (cols + SY_FP8_BLOCK - 1) / SY_FP8_BLOCK, blocks = (cols + 31) / 32;
    __mmask32 tail = tail_mask(cols);
    for (long r = r0; r < r1; r++) {
        const uint8_t *row = w + r * cols;
        const float *s = scales + ((r + row_phase) / SY_FP8_BLOCK) * sc;
        float *d = dst + (r - r0) * cols;
        for (long b = 0; b < blocks; b++) {
            __mmask32 m = b + 1 == blocks ? tail : (__mmask32)0xFFFFFFFFu;
            __m512 lo, hi;
            widen32(_mm256_maskz_loadu_epi8(m, row + b * 32), &lo, &hi);
            // value / 256 times (scale * 256): one rounding, as the portable path.
            __m512 f = _mm512_set1_ps(s[b * 32 / SY_FP8_BLOCK] * 256.0f);
            _mm512_mask_storeu_ps(d + b * 32, (__mmask16)m, _mm512_mul_ps(lo, f));
            _mm512_mask_storeu_ps(d + b * 32 + 16, (__mmask16)(m >> 16), _mm512_mul_ps(hi, f));
        }
    }
}
#endif
