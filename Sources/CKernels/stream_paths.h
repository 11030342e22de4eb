// The decode kernels of each instruction-set path, for the dispatch in stream.c (not public).
#ifndef SWITCHYARD_STREAM_PATHS_H
#define SWITCHYARD_STREAM_PATHS_H
#include "ckernels.h"

void sy_stream_bf16_portable(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                             float *y, long ldy, long r0, long r1);
void sy_stream_f32_portable(const float *w, long cols, const float *x, long ldx, long tokens,
                            float *y, long ldy, long r0, long r1);
#if defined(__x86_64__)
void sy_stream_bf16_avx512(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                           float *y, long ldy, long r0, long r1);
void sy_stream_bf16_avx512bf16(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                               float *y, long ldy, long r0, long r1);
void sy_stream_f32_avx512(const float *w, long cols, const float *x, long ldx, long tokens,
                          float *y, long ldy, long r0, long r1);
#endif
#endif
