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

// The instruction-set paths of the streaming kernels. avx512 widens bf16 weights in registers and
// multiplies in float32; avx512bf16 uses `vdpbf16ps`, rounding the activations to bf16 first (on
// fp8 weights too where the CPU has VBMI to look the codes up as bf16).
enum sy_kernel_path {
    SY_KERNELS_PORTABLE = 0,
    SY_KERNELS_AVX2 = 1,
    SY_KERNELS_AVX512 = 2,
    SY_KERNELS_AVX512BF16 = 3,
    SY_KERNELS_COUNT = 4
};
// 1 when this CPU (and OS) runs `path`.
int sy_kernel_path_supported(int path);
// The path chosen when none is asked for: the fastest that keeps float32 activations.
int sy_kernel_path_best(void);
// The path sy_stream_bf16/sy_stream_f32 use now (sy_kernel_path_best() until one is selected).
int sy_kernel_path(void);
// Selects the path for later calls; -1 (and no change) when this CPU cannot run it.
int sy_kernel_path_select(int path);
// Whether the AVX-512 kernels take one token a row at a time (1) or in blocks of rows with the next
// block prefetched (0): the same bits either way. Defaults to 1 on AMD CPUs.
int sy_stream_single_row_enabled(void);
void sy_stream_set_single_row(int enabled);
// "portable", "avx2", "avx512" or "avx512bf16".
const char *sy_kernel_path_name(int path);
// The streaming products on a given path (the selected one when this CPU cannot run `path`).
// The streaming kernels take 8 tokens a pass over the weights. More tokens than that run a tile
// of rows at a time (SY_STREAM_TILE_BYTES of weights: held in the last-level cache between
// passes), so the weights come from memory once, not once a pass; each (row, token) is summed in
// the same order either way. sy_stream_tile_rows: rows of `row_bytes` bytes a tile holds.
// Measured (bench experts, 16 tokens through a 4096 → 2048 → 4096 expert, four alternating runs):
// f32 5.40–5.54 ms tiled against 6.14–7.38 ms untiled; bf16 and fp8, whose widening makes 16 tokens
// compute-bound, within the noise of each other (2.73–3.69 against 2.82–3.28 ms, 2.42–3.37 against
// 2.53–5.65 ms).
#define SY_STREAM_PASS_TOKENS 8
#define SY_STREAM_TILE_BYTES (2L << 20)
long sy_stream_tile_rows(long row_bytes);
void sy_stream_bf16_on(int path, const uint16_t *w, long cols, const float *x, long ldx, long tokens,
                       float *y, long ldy, long row_begin, long row_end);
void sy_stream_f32_on(int path, const float *w, long cols, const float *x, long ldx, long tokens,
                      float *y, long ldy, long row_begin, long row_end);

// FP8 E4M3 weights with one float32 scale (`weight_scale_inv`) per 128x128 block, as DeepSeek-V3
// stores them: W[r][c] = e4m3(w[r][c]) * scales[((r + row_phase) / 128) * scale_cols + c / 128],
// scale_cols = ceil(cols / 128). `scales` starts at the block row holding row 0; `row_phase`
// (0-127) is row 0's place in that block (an expert sliced out of a fused tensor starts mid-block).
// The NaN code S.1111.111, which quantizers never write, reads as +-480 in these kernels.
#define SY_FP8_BLOCK 128
void sy_stream_fp8(const uint8_t *w, long cols, const float *scales, long row_phase,
                   const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end);
void sy_stream_fp8_on(int path, const uint8_t *w, long cols, const float *scales, long row_phase,
                      const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end);
// On AVX-512 with VBMI, 1-4 tokens look codes up in a table rather than widen them through IEEE
// half; the two give the same bits. For tests: whether this CPU looks up, and the AVX-512 kernel
// with (lookup = 1, where the CPU has VBMI) or without the lookup (sy_stream_fp8 without AVX-512).
int sy_fp8_lookup_supported(void);
void sy_stream_fp8_avx512_lookup(int lookup, const uint8_t *w, long cols, const float *scales, long row_phase,
                                 const float *x, long ldx, long tokens, float *y, long ldy, long row_begin, long row_end);
// Rows [row_begin, row_end) of such a matrix as float32, scaled, into dst [(row_end - row_begin) x cols];
// exact (one rounding, of value x scale) and the same on every path.
void sy_fp8_to_f32(const uint8_t *w, long cols, const float *scales, long row_phase,
                   long row_begin, long row_end, float *dst);

// Sum of `count` floats, read with as many independent vector loads in flight as the core takes:
// what memory-read-bandwidth baselines time.
float sy_sum_f32(const float *values, long count);

// FP8 E4M3 activations (the wire's fp8 payload): rows `rows[i]` of `src` (rows i when `rows` is
// NULL), `width` values each, into one float32 scale per 128 values (amax / 448; 1 for a block
// of zeros) and a code per value (to nearest even, saturated to 448).
void sy_quantize_e4m3_rows(const float *src, const uint32_t *rows, long count, long width, float *scales, uint8_t *codes);
// code value × its block's scale.
void sy_dequantize_e4m3_rows(const float *scales, const uint8_t *codes, long count, long width, float *dst);
// Widens bf16 bit patterns to float32.
void sy_bf16_to_f32(const uint16_t *src, float *dst, long count);
// Rounds float32 to bf16 bit patterns: to nearest, ties to even; NaN stays a (quiet) NaN.
void sy_f32_to_bf16(const float *src, uint16_t *dst, long count);

// CRC-32C (Castagnoli) of `count` bytes continuing from `state` (the running, inverted value),
// with the SSE4.2 instruction; only when sy_crc32c_available() says the CPU has it.
int sy_crc32c_available(void);
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count);
// Messages of 1 KiB or more go through carry-less folding (VPCLMULQDQ on zmm registers) where the
// CPU has it (sy_crc32c_wide_available; SWITCHYARD_CRC_NO_VPCLMUL in the environment turns it off),
// about 3× the crc32 instruction's rate; sy_crc32c_update_narrow always uses the crc32 instruction.
int sy_crc32c_wide_available(void);
uint32_t sy_crc32c_update_narrow(uint32_t state, const void *bytes, long count);
// The same, also copying the bytes to `destination` (which must not overlap them) in that pass.
uint32_t sy_crc32c_copy(uint32_t state, const void *bytes, long count, void *destination);

// out[targets[r]] += row r of `rows` (`count` rows of `width` values; bf16 widened exactly), row by
// row in order: the combine's scatter-add.
void sy_scatter_add_f32(float *out, const float *rows, const uint32_t *targets, long count, long width);
void sy_scatter_add_bf16(float *out, const uint16_t *rows, const uint32_t *targets, long count, long width);
// Row r of dst is row r of src (`rows` × `width`, 0 ≤ shift < width) rotated left by `shift` values,
// each XORed with `sign` (the echo host's answer in bench alltoall).
void sy_rotate_flip_u16(const uint16_t *src, uint16_t *dst, long rows, long width, long shift, uint16_t sign);
void sy_rotate_flip_u32(const uint32_t *src, uint32_t *dst, long rows, long width, long shift, uint32_t sign);

// Keeps large freed blocks in the process's heap for reuse (glibc); a no-op elsewhere.
void sy_keep_freed_memory(void);

// The name of the selected path (sy_kernel_path_name of sy_kernel_path()).
const char *sy_kernel_isa(void);

#endif
