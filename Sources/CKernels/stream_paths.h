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

// `lookup` (the CPU has VBMI): 1-4 tokens look codes up in a table; the same bits as without.
void sy_stream_fp8_avx512(int lookup, const uint8_t *w, long cols, const float *scales, long row_phase,
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
