// AVX-512 kernels for FP8 E4M3 weights with 128x128 block scales: a block of rows against every
// token at once, all partial sums in zmm registers, each weight byte loaded once. 32 codes become
// 32 floats (value / 256) in four instructions; the activations are copied once per 128-row block,
// scaled by that block's scales and 256, in blocks of 32 columns per token (zero past `cols`).
// With VBMI, 1-4 tokens look codes up instead (64 codes in nine instructions), to the same floats
// in the same lanes, so the two give the same bits and a token's result never depends on how many
// share its product.
#include "stream_paths.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define SY_512 "avx512f,avx512bw,avx512vl"
#define SY_512VBMI "avx512f,avx512bw,avx512vl,avx512vbmi"

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

// Rows [r, r+R) against tokens [0, T) over one pass's columns; R and T are constants after inlining.
__attribute__((target(SY_512), always_inline))
static inline void block_fp8(const uint8_t *w, long cols, const float *xp, const long T, const long R,
                             sy_pass p, float *y, long ldy) {
    __m512 acc[4][8];
    SY_PASS_BEGIN(acc, R, T, p)
    __mmask32 tail = tail_mask(cols);
    for (long b = p.first; b < p.last; b++) {
        __mmask32 m = b + 1 == p.blocks ? tail : (__mmask32)0xFFFFFFFFu;
        __m512 lo[4], hi[4];
        for (long i = 0; i < R; i++) widen32(_mm256_maskz_loadu_epi8(m, w + i * cols + b * 32), &lo[i], &hi[i]);
        sy_pass_prefetch(p, R, cols, 32, b);
        const float *xb = xp + b * T * 32;
        for (long t = 0; t < T; t++) {
            __m512 xl = _mm512_load_ps(xb + t * 32), xh = _mm512_load_ps(xb + t * 32 + 16);
            for (long i = 0; i < R; i++) {
                acc[i][t] = _mm512_fmadd_ps(lo[i], xl, acc[i][t]);
                acc[i][t] = _mm512_fmadd_ps(hi[i], xh, acc[i][t]);
            }
        }
    }
    SY_PASS_END(acc, R, T, p, y, ldy)
}

// The bfloat16 bit patterns of |code| / 256 for the 128 magnitudes, high bytes then low bytes:
// exact for every code, subnormals included; the NaN magnitude reads as 480, as widen32 has it.
static const uint8_t lookup_high[128] __attribute__((aligned(64))) = {
    0x00, 0x37, 0x37, 0x37, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38,
    0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39, 0x39,
    0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A, 0x3A,
    0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B, 0x3B,
    0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C, 0x3C,
    0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D, 0x3D,
    0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E, 0x3E,
    0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
};
static const uint8_t lookup_low[128] __attribute__((aligned(64))) = {
    0x00, 0x00, 0x80, 0xC0, 0x00, 0x20, 0x40, 0x60, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0,
};

// Which byte of (low, high) goes where for the first 32 columns (+32 for the others): word 2l is
// column l, word 2l+1 column 16+l, each its low byte (index c) then its high byte (64 + c).
static const uint8_t lookup_pairs[64] __attribute__((aligned(64))) = {
    0, 64, 16, 80, 1, 65, 17, 81, 2, 66, 18, 82, 3, 67, 19, 83,
    4, 68, 20, 84, 5, 69, 21, 85, 6, 70, 22, 86, 7, 71, 23, 87,
    8, 72, 24, 88, 9, 73, 25, 89, 10, 74, 26, 90, 11, 75, 27, 91,
    12, 76, 28, 92, 13, 77, 29, 93, 14, 78, 30, 94, 15, 79, 31, 95,
};

// 64 codes to bfloat16 words: the magnitude's bytes looked up, the sign put back, then paired so
// that a << 16 holds columns 0-15 as float32, a's high halves 16-31, b's 32-47 and 48-63: the
// vectors widen32 gives for two blocks of 32.
// The low and high bytes of 64 codes' bfloat16 words, byte c of each for code c.
__attribute__((target(SY_512VBMI), always_inline))
static inline void lookup_bytes(__m512i codes, __m512i high0, __m512i high1, __m512i low0, __m512i low1,
                                __m512i *low, __m512i *high) {
    *low = _mm512_permutex2var_epi8(low0, codes, low1);
    __m512i h = _mm512_permutex2var_epi8(high0, codes, high1);
    *high = _mm512_ternarylogic_epi32(h, codes, _mm512_set1_epi8((char)0x80), 0xF8); // h | (codes & 0x80)
}

__attribute__((target(SY_512VBMI), always_inline))
static inline void lookup64(__m512i codes, __m512i high0, __m512i high1, __m512i low0, __m512i low1,
                            __m512i pair_a, __m512i pair_b, __m512i *a, __m512i *b) {
    __m512i low, high;
    lookup_bytes(codes, high0, high1, low0, low1, &low, &high);
    *a = _mm512_permutex2var_epi8(low, pair_a, high);
    *b = _mm512_permutex2var_epi8(low, pair_b, high);
}

// block_fp8 with 64 columns a step; `xp` as block_fp8's, padded to an even number of 32-column
// blocks. The sums run in block_fp8's order, lane for lane.
__attribute__((target(SY_512VBMI), always_inline))
static inline void block_fp8_lookup(const uint8_t *w, long cols, const float *xp, const long T, const long R,
                                    float *y, long ldy) {
    __m512 acc[4][8];
    for (long i = 0; i < R; i++) for (long t = 0; t < T; t++) acc[i][t] = _mm512_setzero_ps();
    const __m512i high0 = _mm512_load_si512(lookup_high), high1 = _mm512_load_si512(lookup_high + 64);
    const __m512i low0 = _mm512_load_si512(lookup_low), low1 = _mm512_load_si512(lookup_low + 64);
    const __m512i pair_a = _mm512_load_si512(lookup_pairs), pair_b = _mm512_add_epi8(pair_a, _mm512_set1_epi8(32));
    const __m512i upper = _mm512_set1_epi32((int)0xFFFF0000u);
    long steps = (cols + 63) / 64;
    __mmask64 tail = (cols & 63) ? (((__mmask64)1 << (cols & 63)) - 1) : ~(__mmask64)0;
    const uint8_t *ahead = w + R * cols;
    for (long b = 0; b < steps; b++) {
        __mmask64 m = b + 1 == steps ? tail : ~(__mmask64)0;
        __m512i pa[4], pb[4];
        for (long i = 0; i < R; i++)
            lookup64(_mm512_maskz_loadu_epi8(m, w + i * cols + b * 64), high0, high1, low0, low1, pair_a, pair_b, &pa[i], &pb[i]);
        sy_prefetch_ahead(ahead, b, R * 64);
        const float *xb = xp + b * T * 64;
        for (long half = 0; half < 2; half++) {
            __m512 lo[4], hi[4];
            for (long i = 0; i < R; i++) {
                __m512i p = half ? pb[i] : pa[i];
                lo[i] = _mm512_castsi512_ps(_mm512_slli_epi32(p, 16));
                hi[i] = _mm512_castsi512_ps(_mm512_and_si512(p, upper));
            }
            const float *xh = xb + half * T * 32;
            for (long t = 0; t < T; t++) {
                __m512 xl = _mm512_load_ps(xh + t * 32), xu = _mm512_load_ps(xh + t * 32 + 16);
                for (long i = 0; i < R; i++) {
                    acc[i][t] = _mm512_fmadd_ps(lo[i], xl, acc[i][t]);
                    acc[i][t] = _mm512_fmadd_ps(hi[i], xu, acc[i][t]);
                }
            }
        }
    }
    for (long i = 0; i < R; i++) for (long t = 0; t < T; t++) y[t * ldy + i] = _mm512_reduce_add_ps(acc[i][t]);
}

// xp[b][t][0..32) = x[t][32b ..] * (scale of the 128-column block holding 32b) * 256, for
// `blocks` blocks (zero past `cols`).
__attribute__((target(SY_512)))
static void pack_scaled(const float *x, long ldx, long cols, long T, const float *s, long blocks, float *xp) {
    for (long b = 0; b < blocks; b++) {
        long c = b * 32, n = cols - c < 32 ? cols - c : 32;
        __mmask16 lo = n >= 16 ? 0xFFFF : n > 0 ? (__mmask16)((1u << n) - 1) : 0;
        __mmask16 hi = n >= 32 ? 0xFFFF : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
        __m512 f = _mm512_set1_ps(n > 0 ? s[c / SY_FP8_BLOCK] * 256.0f : 0.0f);
        for (long t = 0; t < T; t++) {
            float *d = xp + (b * T + t) * 32;
            _mm512_store_ps(d, _mm512_mul_ps(_mm512_maskz_loadu_ps(lo, x + t * ldx + c), f));
            _mm512_store_ps(d + 16, _mm512_mul_ps(_mm512_maskz_loadu_ps(hi, x + t * ldx + c + 16), f));
        }
    }
}

// Rows per block for T tokens: R*T accumulators and 2R widened vectors in the 32 zmm registers.
#define SY_FP8_ROWS(T) ((T) <= 4 ? 4 : 3)
#define SY_FP8_CALL(wr, cols, xp, T, R, p, yr, ldy) block_fp8(wr, cols, xp, T, R, p, yr, ldy)
#define SY_FP8_RUN(T)                                                                             \
    SY_PASSES(SY_FP8_CALL, T, SY_FP8_ROWS(T), r, end, blocks, SY_PASS_BLOCKS(T, cols, 32), \
              carry, (const char *)w, cols, 32, w + r * cols, cols, xp)
// The lookup holds two words vectors a row besides the tables: three rows from 3 tokens (measured).
#define SY_FP8_LOOKUP_ROWS(T) ((T) <= 2 ? 4 : 3)
// Rows [r, end) by KERNEL in blocks of ROWS, then one at a time.
#define SY_FP8_ROW_BLOCKS(KERNEL, ROWS, T)                                                        \
    {                                                                                             \
        long rr = r;                                                                              \
        for (; rr + (ROWS) <= end; rr += (ROWS)) KERNEL(w + rr * cols, cols, xp, T, ROWS, y + rr, ldy); \
        for (; rr < end; rr++) KERNEL(w + rr * cols, cols, xp, T, 1, y + rr, ldy);                \
    }
#define SY_FP8_LOOKUP_RUN(T) SY_FP8_ROW_BLOCKS(block_fp8_lookup, SY_FP8_LOOKUP_ROWS(T), T)

// Blocks of rows with the lookup (1-4 tokens); plain AVX-512 callers never reach it.
__attribute__((target(SY_512VBMI)))
static void rows_lookup(const uint8_t *w, long cols, const float *xp, long T, float *y, long ldy, long r, long end) {
    switch (T) {
    case 1: SY_FP8_LOOKUP_RUN(1) break; case 2: SY_FP8_LOOKUP_RUN(2) break;
    case 3: SY_FP8_LOOKUP_RUN(3) break; default: SY_FP8_LOOKUP_RUN(4) break;
    }
}

__attribute__((target(SY_512)))
static void rows_widen(const uint8_t *w, long cols, const float *xp, long T, __m512 *carry, float *y, long ldy,
                       long r, long end) {
    long blocks = (cols + 31) / 32;
    switch (T) {
    case 1: SY_FP8_RUN(1) break; case 2: SY_FP8_RUN(2) break; case 3: SY_FP8_RUN(3) break;
    case 4: SY_FP8_RUN(4) break; case 5: SY_FP8_RUN(5) break; case 6: SY_FP8_RUN(6) break;
    case 7: SY_FP8_RUN(7) break; default: SY_FP8_RUN(8) break;
    }
}

// With AVX512-BF16 (asked for: SWITCHYARD_KERNELS=avx512bf16), the looked-up bf16 words go
// straight into `vdpbf16ps`, two products a lane, instead of being widened to float32 for two FMAs:
// per 64 codes a row, five instructions and two dot products a token, against nine and four FMAs.
// The activations (scaled as pack_scaled's) are then rounded to bf16, as for bf16 weights on that
// path. low/high unpacked byte by byte pair each 128-bit lane's columns: word 8k+j of the first
// vector is column 16k+j, of the second 16k+8+j (k < 4, j < 8); pack_dot lays activations out alike.
#define SY_512DOT "avx512f,avx512bw,avx512vl,avx512vbmi,avx512bf16"

__attribute__((target(SY_512DOT), always_inline))
static inline void block_fp8_dot(const uint8_t *w, long cols, const uint16_t *xp, const long T, const long R,
                                 float *y, long ldy) {
    __m512 acc[4][8];
    for (long i = 0; i < R; i++) for (long t = 0; t < T; t++) acc[i][t] = _mm512_setzero_ps();
    const __m512i high0 = _mm512_load_si512(lookup_high), high1 = _mm512_load_si512(lookup_high + 64);
    const __m512i low0 = _mm512_load_si512(lookup_low), low1 = _mm512_load_si512(lookup_low + 64);
    long steps = (cols + 63) / 64;
    __mmask64 tail = (cols & 63) ? (((__mmask64)1 << (cols & 63)) - 1) : ~(__mmask64)0;
    const uint8_t *ahead = w + R * cols;
    for (long b = 0; b < steps; b++) {
        __mmask64 m = b + 1 == steps ? tail : ~(__mmask64)0;
        __m512i wa[4], wb[4];
        for (long i = 0; i < R; i++) {
            __m512i low, high;
            lookup_bytes(_mm512_maskz_loadu_epi8(m, w + i * cols + b * 64), high0, high1, low0, low1, &low, &high);
            wa[i] = _mm512_unpacklo_epi8(low, high);
            wb[i] = _mm512_unpackhi_epi8(low, high);
        }
        sy_prefetch_ahead(ahead, b, R * 64);
        const uint16_t *xb = xp + b * T * 64;
        for (long t = 0; t < T; t++) {
            __m512bh xa = (__m512bh)_mm512_load_si512((const void *)(xb + t * 64));
            __m512bh xc = (__m512bh)_mm512_load_si512((const void *)(xb + t * 64 + 32));
            for (long i = 0; i < R; i++) {
                acc[i][t] = _mm512_dpbf16_ps(acc[i][t], (__m512bh)wa[i], xa);
                acc[i][t] = _mm512_dpbf16_ps(acc[i][t], (__m512bh)wb[i], xc);
            }
        }
    }
    for (long i = 0; i < R; i++) for (long t = 0; t < T; t++) y[t * ldy + i] = _mm512_reduce_add_ps(acc[i][t]);
}

// xp[b][t][0..64) = x[t][64b ..] * (its 128-column block's scale) * 256 rounded to bf16, in
// block_fp8_dot's column order (zero past `cols`), for `steps` steps of 64 columns.
__attribute__((target(SY_512DOT)))
static void pack_dot(const float *x, long ldx, long cols, long T, const float *s, long steps, uint16_t *xp) {
    for (long b = 0; b < steps; b++) {
        __m512 f = _mm512_set1_ps(s[b * 64 / SY_FP8_BLOCK] * 256.0f);
        for (long t = 0; t < T; t++) {
            uint16_t *d = xp + (b * T + t) * 64;
            for (long k = 0; k < 4; k++) {
                long c = b * 64 + k * 16, n = cols - c < 16 ? cols - c : 16;
                __mmask16 mk = n >= 16 ? 0xFFFF : n > 0 ? (__mmask16)((1u << n) - 1) : 0;
                // Rounds to nearest even, as sy_f32_to_bf16 does.
                __m256i h = (__m256i)_mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + t * ldx + c), f));
                _mm_store_si128((__m128i *)(d + 8 * k), _mm256_castsi256_si128(h));
                _mm_store_si128((__m128i *)(d + 32 + 8 * k), _mm256_extracti128_si256(h, 1));
            }
        }
    }
}

// Rows per block for T tokens: R*T accumulators, two words vectors a row and five constants in
// the 32 zmm registers. Four rows at 3-4 tokens, against three: in-cache 36.0/36.2/36.4 against
// 29.9/35.0/35.2 GB/s at 4 tokens (AMD EPYC, alternating bench experts runs).
#define SY_FP8_DOT_ROWS(T) ((T) <= 4 ? 4 : (T) <= 6 ? 3 : 2)
#define SY_FP8_DOT_RUN(T) SY_FP8_ROW_BLOCKS(block_fp8_dot, SY_FP8_DOT_ROWS(T), T)

__attribute__((target(SY_512DOT)))
static void rows_dot(const uint8_t *w, long cols, const uint16_t *xp, long T, float *y, long ldy, long r, long end) {
    switch (T) {
    case 1: SY_FP8_DOT_RUN(1) break; case 2: SY_FP8_DOT_RUN(2) break; case 3: SY_FP8_DOT_RUN(3) break;
    case 4: SY_FP8_DOT_RUN(4) break; case 5: SY_FP8_DOT_RUN(5) break; case 6: SY_FP8_DOT_RUN(6) break;
    case 7: SY_FP8_DOT_RUN(7) break; default: SY_FP8_DOT_RUN(8) break;
    }
}

__attribute__((target(SY_512DOT)))
void sy_stream_fp8_avx512bf16(const uint8_t *w, long cols, const float *scales, long row_phase,
                              const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1) {
    long sc = (cols + SY_FP8_BLOCK - 1) / SY_FP8_BLOCK, steps = (cols + 63) / 64;
    for (long t0 = 0; t0 < tokens; t0 += 8, x += 8 * ldx, y += 8 * ldy) {
        long T = tokens - t0 < 8 ? tokens - t0 : 8;
        uint16_t *xp = sy_thread_scratch(steps * T * 64 * (long)sizeof(uint16_t));
        if (!xp) { sy_stream_fp8_portable(w, cols, scales, row_phase, x, ldx, T, y, ldy, r0, r1); continue; }
        for (long r = r0; r < r1;) {
            long block = (r + row_phase) / SY_FP8_BLOCK;
            long end = (block + 1) * SY_FP8_BLOCK - row_phase < r1 ? (block + 1) * SY_FP8_BLOCK - row_phase : r1;
            pack_dot(x, ldx, cols, T, scales + block * sc, steps, xp);
            rows_dot(w, cols, xp, T, y, ldy, r, end);
            r = end;
        }
    }
}

__attribute__((target(SY_512)))
void sy_stream_fp8_avx512(int lookup, const uint8_t *w, long cols, const float *scales, long row_phase,
                          const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1) {
    long sc = (cols + SY_FP8_BLOCK - 1) / SY_FP8_BLOCK;
    for (long t0 = 0; t0 < tokens; t0 += 8, x += 8 * ldx, y += 8 * ldy) {
        long T = tokens - t0 < 8 ? tokens - t0 : 8;
        int looked_up = lookup && T <= 4;
        long blocks = (cols + 31) / 32 + (looked_up ? (cols + 31) / 32 % 2 : 0);
        long xp_bytes = blocks * T * 32 * (long)sizeof(float);
        float *xp = sy_thread_scratch(xp_bytes + SY_CARRY_BYTES);
        if (!xp) { sy_stream_fp8_portable(w, cols, scales, row_phase, x, ldx, T, y, ldy, r0, r1); continue; }
        __m512 *carry = (__m512 *)((char *)xp + xp_bytes);
        for (long r = r0; r < r1;) {
            long block = (r + row_phase) / SY_FP8_BLOCK;
            long end = (block + 1) * SY_FP8_BLOCK - row_phase < r1 ? (block + 1) * SY_FP8_BLOCK - row_phase : r1;
            pack_scaled(x, ldx, cols, T, scales + block * sc, blocks, xp);
            if (looked_up) rows_lookup(w, cols, xp, T, y, ldy, r, end);
            else rows_widen(w, cols, xp, T, carry, y, ldy, r, end);
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
