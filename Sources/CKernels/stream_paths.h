// The decode kernels of each instruction-set path, for the dispatch in stream.c (not public).
#ifndef SWITCHYARD_STREAM_PATHS_H
#define SWITCHYARD_STREAM_PATHS_H
#include "ckernels.h"

// A 64-byte-aligned block of at least `bytes` for this thread, valid until its next call; NULL when
// memory is short.
void *sy_thread_scratch(long bytes);

void sy_stream_bf16_portable(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                             float *y, long ldy, long r0, long r1);
void sy_stream_f32_portable(const float *w, long cols, const float *x, long ldx, long tokens,
                            float *y, long ldy, long r0, long r1);
void sy_stream_fp8_portable(const uint8_t *w, long cols, const float *scales, long row_phase,
                            const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1);
#if defined(__x86_64__)
#include <immintrin.h>

// The kernels read a block of rows as that many interleaved streams, which the hardware prefetcher
// follows poorly (fp8 at 1 token: a third of the memory's rate). Each block of columns also asks
// for its share, `step` bytes, of the next block of rows, so memory sees one sequential stream a
// whole block of rows ahead (measured: about 3 times the rate). Past the last row it is harmless.
static inline __attribute__((always_inline)) void sy_prefetch_ahead(const void *next, long b, long step) {
    for (long o = 0; o < step; o += 64) _mm_prefetch((const char *)next + b * step + o, _MM_HINT_T0);
}

// With several tokens the activations of a whole row outgrow L1 (8 tokens of 4096 float32: 128 KiB)
// and the AVX-512 kernels wait on L2 for them. Then rows go in groups, and a group goes over its
// columns in chunks of SY_CHUNK_COLUMNS (32 KiB of activations at 8 tokens), each block of rows
// carrying its R x T partial sums (vectors, not yet reduced) in memory from one chunk to the next:
// every lane adds the same products in the same order as in one pass, so the results are the same
// bits (measured: bf16 at 8 tokens about 1.4 times the rate).
#define SY_CHUNK_COLUMNS 1024
// Column blocks of `width` a pass: a chunk's when T tokens of `cols` float32 outgrow 32 KiB.
#define SY_PASS_BLOCKS(T, cols, width) \
    ((T) * (cols) * 4L > (32L << 10) ? SY_CHUNK_COLUMNS / (width) : ((cols) + (width) - 1) / (width))
// Rows a group: a multiple of every block's rows (1, 3, 4); its carry is SY_GROUP_ROWS x 8 vectors.
#define SY_GROUP_ROWS 60
#define SY_CARRY_BYTES (SY_GROUP_ROWS * 8 * 64L)

// One token a row at a time (sy_stream_set_single_row in ckernels.h): where that reads memory
// faster than blocks of rows with the next block prefetched (AMD; measured in stream.c).
int sy_stream_single_row_enabled(void);

// One block of rows' pass over column blocks [first, last) of `blocks`: its sums start from zero at
// block 0, else from `carry` (T vectors a row), and end in y at the last block, else in `carry`.
// `ahead` + i x (row bytes) + b x (block bytes) is where row i of the next pass's block of rows
// has the column block b of this pass, for prefetching.
typedef struct {
    long first, last, blocks;
    __m512 *carry;
    const char *ahead;
} sy_pass;

// Asks for what the next pass reads at column block b: a pass over all columns, its share of the
// next block of rows as one sequential stream; a chunk, where the next block of rows has it
// (measured: each the better for its case).
static inline __attribute__((always_inline)) void sy_pass_prefetch(sy_pass p, long R, long row_bytes,
                                                                   long block_bytes, long b) {
    // One row is one sequential stream, which the hardware prefetcher follows by itself.
    if (R == 1) return;
    if (p.first == 0 && p.last == p.blocks) sy_prefetch_ahead(p.ahead, b, R * block_bytes);
    else for (long i = 0; i < R; i++) _mm_prefetch(p.ahead + i * row_bytes + b * block_bytes, _MM_HINT_T0);
}

// The sums of rows [0, R) x tokens [0, T) at the start of a pass, and at its end.
#define SY_PASS_BEGIN(acc, R, T, p)                                                               \
    for (long i_ = 0; i_ < (R); i_++)                                                              \
        for (long t_ = 0; t_ < (T); t_++)                                                          \
            (acc)[i_][t_] = (p).first == 0 ? _mm512_setzero_ps() : (p).carry[i_ * (T) + t_];
#define SY_PASS_END(acc, R, T, p, y, ldy)                                                         \
    for (long i_ = 0; i_ < (R); i_++)                                                              \
        for (long t_ = 0; t_ < (T); t_++) {                                                        \
            if ((p).last == (p).blocks) (y)[t_ * (ldy) + i_] = _mm512_reduce_add_ps((acc)[i_][t_]); \
            else (p).carry[i_ * (T) + t_] = (acc)[i_][t_];                                          \
        }

// Rows [row_begin, row_end) by KERNEL(ARGS, T, R, pass, y + r, ldy), R = ROWS and then 1 for the
// rows left over; ARGS may use `r`. One pass over all `blocks` column blocks, or chunks of `chunk`
// blocks a group of rows at a time. `base` is the weights' first byte, `row_bytes` a row's.
#define SY_PASSES(KERNEL, T, ROWS, row_begin, row_end, blocks, chunk, carry, base, row_bytes, block_bytes, ...) \
    for (long g_ = (row_begin), end_ = (row_end); g_ < end_; g_ += SY_GROUP_ROWS) {              \
        long gend_ = g_ + SY_GROUP_ROWS < end_ ? g_ + SY_GROUP_ROWS : end_;                        \
        for (long b0_ = 0; b0_ < (blocks); b0_ += (chunk)) {                                      \
            long b1_ = b0_ + (chunk) < (blocks) ? b0_ + (chunk) : (blocks);                        \
            /* After the group's last block of rows: its first, next chunk; or the next group. */ \
            const char *wrap_ = b1_ < (blocks) ? (base) + g_ * (row_bytes) + (b1_ - b0_) * (block_bytes) \
                                               : (base) + gend_ * (row_bytes) - b0_ * (block_bytes); \
            for (long r = g_, rows_; r < gend_; r += rows_) {                                     \
                rows_ = r + (ROWS) <= gend_ ? (ROWS) : 1;                                          \
                sy_pass pass_ = {b0_, b1_, (blocks), (carry) + (r - g_) * (T),                     \
                                 r + rows_ < gend_ ? (base) + (r + rows_) * (row_bytes) : wrap_};    \
                if (rows_ == (ROWS)) KERNEL(__VA_ARGS__, T, ROWS, pass_, y + r, ldy);              \
                else KERNEL(__VA_ARGS__, T, 1, pass_, y + r, ldy);                                 \
            }                                                                                      \
        }                                                                                          \
    }

// `lookup` (the CPU has VBMI): 1-4 tokens look codes up in a table; the same bits as without.
void sy_stream_fp8_avx512(int lookup, const uint8_t *w, long cols, const float *scales, long row_phase,
                          const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1);
// AVX512-BF16 with VBMI: codes looked up as bf16 and multiplied by `vdpbf16ps` with the activations
// rounded to bf16 (1-8 tokens a pass).
void sy_stream_fp8_avx512bf16(const uint8_t *w, long cols, const float *scales, long row_phase,
                              const float *x, long ldx, long tokens, float *y, long ldy, long r0, long r1);
void sy_fp8_to_f32_avx512(const uint8_t *w, long cols, const float *scales, long row_phase,
                          long r0, long r1, float *dst);
void sy_stream_bf16_avx512(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                           float *y, long ldy, long r0, long r1);
void sy_stream_bf16_avx512bf16(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                               float *y, long ldy, long r0, long r1);
void sy_stream_f32_avx512(const float *w, long cols, const float *x, long ldx, long tokens,
                          float *y, long ldy, long r0, long r1);
#endif
#endif
