#ifndef SWITCHYARD_CKERNELS_H
#define SWITCHYARD_CKERNELS_H
#include <stdint.h>

// Streaming products for few tokens: y[t][r] = sum_c W[r][c] * x[t][c] for rows [row_begin, row_end).
// W is row-major [rows x cols] (a Linear layer's out x in); x is [tokens x ldx]; y is [tokens x ldy].
// Each weight row is read from memory once, whatever the number of tokens.
void sy_stream_bf16(const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                    float *y, long ldy, long row_begin, long row_end);
void sy_stream_f32(const float *w, long cols, const float *x, long ldx, long tokens,
                   float *y, long ldy, long row_begin, long row_end);

// Sum of `count` floats, read with as many independent vector loads in flight as the core takes:
// what memory-read-bandwidth baselines time.
float sy_sum_f32(const float *values, long count);

// Widens bf16 bit patterns to float32.
void sy_bf16_to_f32(const uint16_t *src, float *dst, long count);
// Rounds float32 to bf16 bit patterns: to nearest, ties to even; NaN stays a (quiet) NaN.
void sy_f32_to_bf16(const float *src, uint16_t *dst, long count);

// CRC-32C (Castagnoli) of `count` bytes continuing from `state` (the running, inverted value),
// with the SSE4.2 instruction; only when sy_crc32c_available() says the CPU has it.
int sy_crc32c_available(void);
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count);

// Keeps large freed blocks in the process's heap for reuse (glibc); a no-op elsewhere.
void sy_keep_freed_memory(void);

// Which kernels this CPU runs: "avx2+fma" or "portable".
const char *sy_kernel_isa(void);

#endif
