// AVX-512 decode kernels: a block of rows against every token at once, all partial sums in zmm
// registers, so each weight is loaded from memory once and used for every token without a store.
// The activations are repacked once per call into the order the weights' lanes need:
//  - avx512 (F+BW+VL): bf16 weights widened in registers (even columns by a shift, odd ones by a
//    mask) and multiplied in float32, so activations stay float32 (even/odd columns split);
//  - avx512bf16: `vdpbf16ps` multiplies bf16 pairs directly, so activations are rounded to bf16;
//  - float32 weights: each block of 16 columns' activations of every token made one contiguous run.
#include "stream_paths.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define SY_512 "avx512f,avx512bw,avx512vl"
#define SY_512BF16 "avx512f,avx512bw,avx512vl,avx512bf16"

__attribute__((target(SY_512)))
static inline float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }

// Rows [r, r+R) against tokens [0, T) over one pass's columns; R and T are constants after
// inlining. `xp` holds, for each block of 32 columns and each token, 32 floats: the block's even
// columns then its odd ones (zero past `cols`).
__attribute__((target(SY_512), always_inline))
static inline void block_bf16_wide(const uint16_t *w, long cols, const float *xp, const long T, const long R,
                                   sy_pass p, float *y, long ldy) {
    __m512 acc[4][8];
    SY_PASS_BEGIN(acc, R, T, p)
    const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
    __mmask32 tail = (cols & 31) ? (__mmask32)((1u << (cols & 31)) - 1) : (__mmask32)0xFFFFFFFFu;
    for (long b = p.first; b < p.last; b++) {
        __mmask32 m = b + 1 == p.blocks ? tail : (__mmask32)0xFFFFFFFFu;
        __m512 we[4], wo[4];
        for (long i = 0; i < R; i++) {
            __m512i raw = _mm512_maskz_loadu_epi16(m, w + i * cols + b * 32);
            we[i] = _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16));
            wo[i] = _mm512_castsi512_ps(_mm512_and_si512(raw, high));
        }
        sy_pass_prefetch(p, R, cols * 2, 64, b);
        const float *xb = xp + b * T * 32;
        for (long t = 0; t < T; t++) {
            __m512 xe = _mm512_load_ps(xb + t * 32), xo = _mm512_load_ps(xb + t * 32 + 16);
            for (long i = 0; i < R; i++) {
                acc[i][t] = _mm512_fmadd_ps(we[i], xe, acc[i][t]);
                acc[i][t] = _mm512_fmadd_ps(wo[i], xo, acc[i][t]);
            }
        }
    }
    SY_PASS_END(acc, R, T, p, y, ldy)
}

// The same with `vdpbf16ps`: `xp` holds, per block of 32 columns and token, the 32 activations
// rounded to bf16 (zero past `cols`).
__attribute__((target(SY_512BF16), always_inline))
static inline void block_bf16_dot(const uint16_t *w, long cols, const uint16_t *xp, const long T, const long R,
                                  sy_pass p, float *y, long ldy) {
    __m512 acc[4][8];
    SY_PASS_BEGIN(acc, R, T, p)
    __mmask32 tail = (cols & 31) ? (__mmask32)((1u << (cols & 31)) - 1) : (__mmask32)0xFFFFFFFFu;
    for (long b = p.first; b < p.last; b++) {
        __mmask32 m = b + 1 == p.blocks ? tail : (__mmask32)0xFFFFFFFFu;
        __m512i wv[4];
        for (long i = 0; i < R; i++) wv[i] = _mm512_maskz_loadu_epi16(m, w + i * cols + b * 32);
        sy_pass_prefetch(p, R, cols * 2, 64, b);
        const uint16_t *xb = xp + b * T * 32;
        for (long t = 0; t < T; t++) {
            __m512bh xv = (__m512bh)_mm512_load_si512((const void *)(xb + t * 32));
            for (long i = 0; i < R; i++) acc[i][t] = _mm512_dpbf16_ps(acc[i][t], (__m512bh)wv[i], xv);
        }
    }
    SY_PASS_END(acc, R, T, p, y, ldy)
}

// float32 weights: activation x of token t, column block b is at `x + b * bstride + t * tstride`,
// the last block masked. Up to L1's worth of activations (SY_PASS_BLOCKS: one pass over the
// columns) they are read where they lie (bstride 16, tstride ldx); past it they are first packed a
// block of 16 columns at a time, every token's together (bstride T x 16, tstride 16), and the rows
// go in chunks like the other kernels'. Read where they lay there, rows of a power-of-two width put
// every token's activations of a block in the same L1 set as the weight rows' (4096 float32: 16 KiB
// apart), and the kernel waited on L2. Measured on an Ice Lake server, 2 cores, the 4096 -> 2048 ->
// 4096 expert over 8 experts' weights (from memory), best of 6 alternating: 4/8/16/24/32/64 tokens
// 7.6/11.3/20.7/19.7/25.2/47.1 ms before, 5.7/7.8/18.1/12.5/16.2/33.6 after (sgemm 20.0 at 24
// tokens, 20.9 at 32, 28.9 at 64); on one core over rows in L2 at 8-32 tokens 45-49 -> 58-80
// GFLOP/s. The same bits: every lane adds the same products in the same order.
__attribute__((target(SY_512), always_inline))
static inline void step_f32(__m512 acc[4][8], const float *w, long cols, const float *xb, long tstride, const long T,
                            const long R, __mmask16 m, long b) {
    __m512 wv[4];
    for (long i = 0; i < R; i++) wv[i] = _mm512_maskz_loadu_ps(m, w + i * cols + b * 16);
    for (long t = 0; t < T; t++) {
        __m512 xv = _mm512_maskz_loadu_ps(m, xb + t * tstride);
        for (long i = 0; i < R; i++) acc[i][t] = _mm512_fmadd_ps(wv[i], xv, acc[i][t]);
    }
}

__attribute__((target(SY_512), always_inline))
static inline void block_f32(const float *w, long cols, const float *x, long bstride, long tstride, const long T,
                             const long R, sy_pass p, float *y, long ldy) {
    __m512 acc[4][8];
    SY_PASS_BEGIN(acc, R, T, p)
    // Every block but a short last one whole, with no mask to compute.
    long whole = (cols & 15) && p.last == p.blocks ? p.last - 1 : p.last;
    long b = p.first;
    for (; b < whole; b++) {
        sy_pass_prefetch(p, R, cols * 4, 64, b);
        step_f32(acc, w, cols, x + b * bstride, tstride, T, R, (__mmask16)0xFFFF, b);
    }
    if (b < p.last) step_f32(acc, w, cols, x + b * bstride, tstride, T, R, (__mmask16)((1u << (cols & 15)) - 1), b);
    SY_PASS_END(acc, R, T, p, y, ldy)
}

// Rows per block for T tokens: as many as keep R*T accumulators and the R weight vectors in the
// 32 zmm registers.
#define SY_ROWS_FOR(T) ((T) <= 4 ? 4 : 3)

// Expands BODY(T, R) for the constant T = tokens (1-8) and R rows, then R = 1 for leftover rows.
#define SY_FOR_TOKENS(tokens, BODY)                                                               \
    switch (tokens) {                                                                             \
    case 1: BODY(1) break; case 2: BODY(2) break; case 3: BODY(3) break; case 4: BODY(4) break;  \
    case 5: BODY(5) break; case 6: BODY(6) break; case 7: BODY(7) break; default: BODY(8) break; \
    }

// Rows [r0, r1) in passes over column blocks of `width` columns, `size`-byte weights, in chunks
// once the activations outgrow L1 (SY_PASS_BLOCKS).
#define SY_ROWS_R(KERNEL, T, R, width, size, ...)                                                 \
    {                                                                                             \
        long blocks_ = (cols + (width) - 1) / (width);                                            \
        SY_PASSES(KERNEL, T, R, r0, r1, blocks_, SY_PASS_BLOCKS(T, cols, width), carry,           \
                  (const char *)w, cols * (size), (width) * (size), __VA_ARGS__)                  \
    }
#define SY_ROWS(KERNEL, T, width, size, ...) SY_ROWS_R(KERNEL, T, SY_ROWS_FOR(T), width, size, __VA_ARGS__)

// BODY over T tokens, or with one token and sy_stream_single_row_enabled(), ONE_ROW: the same
// kernel a row at a time, whose sums are the same bits (each row's lanes add the same products in
// the same order).
#define SY_FOR_TOKENS_OR_ONE_ROW(tokens, BODY, ONE_ROW)                                           \
    if ((tokens) == 1 && sy_stream_single_row_enabled()) ONE_ROW                                  \
    else SY_FOR_TOKENS(tokens, BODY)

// The scratch for `values` floats of repacked activations, then the carry of SY_PASSES.
static void *scratch_with_carry(long values, __m512 **carry) {
    long bytes = (values * (long)sizeof(float) + 63) & ~63L;
    char *block = sy_thread_scratch(bytes + SY_CARRY_BYTES);
    *carry = block ? (__m512 *)(block + bytes) : 0;
    return block;
}

__attribute__((target(SY_512)))
static void pack_even_odd(const float *x, long ldx, long cols, long T, float *xp) {
    long blocks = (cols + 31) / 32;
    for (long b = 0; b < blocks; b++)
        for (long t = 0; t < T; t++) {
            float *d = xp + (b * T + t) * 32;
            for (long i = 0; i < 16; i++) {
                long c = b * 32 + 2 * i;
                d[i] = c < cols ? x[t * ldx + c] : 0;
                d[16 + i] = c + 1 < cols ? x[t * ldx + c + 1] : 0;
            }
        }
}

__attribute__((target(SY_512BF16)))
static void pack_bf16(const float *x, long ldx, long cols, long T, uint16_t *xp) {
    long blocks = (cols + 31) / 32;
    for (long b = 0; b < blocks; b++)
        for (long t = 0; t < T; t++) {
            long c = b * 32, n = cols - c < 32 ? cols - c : 32;
            __mmask16 lo = n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
            __mmask16 hi = n >= 32 ? 0xFFFF : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
            __m512 a = _mm512_maskz_loadu_ps(lo, x + t * ldx + c);
            __m512 h = hi ? _mm512_maskz_loadu_ps(hi, x + t * ldx + c + 16) : _mm512_setzero_ps();
            // Rounds to nearest even, as sy_f32_to_bf16 does.
            _mm512_store_si512((void *)(xp + (b * T + t) * 32), (__m512i)_mm512_cvtne2ps_pbh(h, a));
        }
}

#define SY_WIDE(T) SY_ROWS(SY_CALL_WIDE, T, 32, 2, w + r * cols, cols, xp)
#define SY_WIDE_ONE_ROW SY_ROWS_R(SY_CALL_WIDE, 1, 1, 32, 2, w + r * cols, cols, xp)
#define SY_CALL_WIDE(wr, cols, xp, T, R, p, yr, ldy) block_bf16_wide(wr, cols, xp, T, R, p, yr, ldy)
__attribute__((target(SY_512)))
void sy_stream_bf16_avx512(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                           float *y, long ldy, long r0, long r1) {
    long blocks = (cols + 31) / 32;
    for (long t0 = 0; t0 < tokens; t0 += 8, x += 8 * ldx, y += 8 * ldy) {
        long T = tokens - t0 < 8 ? tokens - t0 : 8;
        __m512 *carry;
        float *xp = scratch_with_carry(blocks * T * 32, &carry);
        if (!xp) { sy_stream_bf16_portable(w, cols, x, ldx, T, y, ldy, r0, r1); continue; }
        pack_even_odd(x, ldx, cols, T, xp);
        SY_FOR_TOKENS_OR_ONE_ROW(T, SY_WIDE, SY_WIDE_ONE_ROW)
    }
}

#define SY_DOT(T) SY_ROWS(SY_CALL_DOT, T, 32, 2, w + r * cols, cols, xp)
#define SY_DOT_ONE_ROW SY_ROWS_R(SY_CALL_DOT, 1, 1, 32, 2, w + r * cols, cols, xp)
#define SY_CALL_DOT(wr, cols, xp, T, R, p, yr, ldy) block_bf16_dot(wr, cols, xp, T, R, p, yr, ldy)
__attribute__((target(SY_512BF16)))
void sy_stream_bf16_avx512bf16(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                               float *y, long ldy, long r0, long r1) {
    long blocks = (cols + 31) / 32;
    for (long t0 = 0; t0 < tokens; t0 += 8, x += 8 * ldx, y += 8 * ldy) {
        long T = tokens - t0 < 8 ? tokens - t0 : 8;
        __m512 *carry;
        uint16_t *xp = scratch_with_carry(blocks * T * 16, &carry);
        if (!xp) { sy_stream_bf16_portable(w, cols, x, ldx, T, y, ldy, r0, r1); continue; }
        pack_bf16(x, ldx, cols, T, xp);
        SY_FOR_TOKENS_OR_ONE_ROW(T, SY_DOT, SY_DOT_ONE_ROW)
    }
}

__attribute__((target(SY_512)))
static void pack_blocks16(const float *x, long ldx, long cols, long T, float *xp) {
    long blocks = (cols + 15) / 16;
    __mmask16 tail = (cols & 15) ? (__mmask16)((1u << (cols & 15)) - 1) : (__mmask16)0xFFFF;
    for (long b = 0; b < blocks; b++) {
        __mmask16 m = b + 1 == blocks ? tail : (__mmask16)0xFFFF;
        for (long t = 0; t < T; t++) _mm512_store_ps(xp + (b * T + t) * 16, _mm512_maskz_loadu_ps(m, x + t * ldx + b * 16));
    }
}

#define SY_F32(T) SY_ROWS(SY_CALL_F32, T, 16, 4, w + r * cols, cols, xs, bstride, tstride)
#define SY_F32_ONE_ROW SY_ROWS_R(SY_CALL_F32, 1, 1, 16, 4, w + r * cols, cols, xs, bstride, tstride)
#define SY_CALL_F32(wr, cols, xs, bstride, tstride, T, R, p, yr, ldy) block_f32(wr, cols, xs, bstride, tstride, T, R, p, yr, ldy)
__attribute__((target(SY_512)))
void sy_stream_f32_avx512(const float *w, long cols, const float *x, long ldx, long tokens,
                          float *y, long ldy, long r0, long r1) {
    long blocks = (cols + 15) / 16;
    for (long t0 = 0; t0 < tokens; t0 += 8, x += 8 * ldx, y += 8 * ldy) {
        long T = tokens - t0 < 8 ? tokens - t0 : 8;
        int packed = SY_PASS_BLOCKS(T, cols, 16) < blocks;
        __m512 *carry;
        float *xp = scratch_with_carry(packed ? blocks * T * 16 : 0, &carry);
        if (!xp) { sy_stream_f32_portable(w, cols, x, ldx, T, y, ldy, r0, r1); continue; }
        if (packed) pack_blocks16(x, ldx, cols, T, xp);
        const float *xs = packed ? xp : x;
        long bstride = packed ? T * 16 : 16, tstride = packed ? 16 : ldx;
        SY_FOR_TOKENS_OR_ONE_ROW(T, SY_F32, SY_F32_ONE_ROW)
    }
}
#endif
