// Whole rows of activations: the combine's scatter-add on the coordinator, and the all-to-all
// echo host's answer. Plain loops over a row that the compiler vectorises.
#include "ckernels.h"

void sy_scatter_add_f32(float *out, const float *rows, const uint32_t *targets, long count, long width) {
    for (long r = 0; r < count; r++) {
        float *target = out + (long)targets[r] * width;
        const float *row = rows + r * width;
        for (long c = 0; c < width; c++) target[c] += row[c];
    }
}

void sy_scatter_add_bf16(float *out, const uint16_t *rows, const uint32_t *targets, long count, long width) {
    for (long r = 0; r < count; r++) {
        float *target = out + (long)targets[r] * width;
        const uint16_t *row = rows + r * width;
        for (long c = 0; c < width; c++) {
            uint32_t bits = (uint32_t)row[c] << 16;
            float value;
            __builtin_memcpy(&value, &bits, 4);
            target[c] += value;
        }
    }
}

// Every row rotated left by `shift` columns with its sign bits flipped (AlltoallEchoRule), as two
// straight runs per row.

#define ROTATE_FLIP(NAME, TYPE)                                                                       \
    void NAME(const TYPE *src, TYPE *dst, long rows, long width, long shift, TYPE sign) {             \
        for (long r = 0; r < rows; r++) {                                                             \
            const TYPE *in = src + r * width;                                                         \
            TYPE *out = dst + r * width;                                                              \
            for (long c = 0; c < width - shift; c++) out[c] = in[shift + c] ^ sign;                   \
            for (long c = 0; c < shift; c++) out[width - shift + c] = in[c] ^ sign;                   \
        }                                                                                             \
    }

ROTATE_FLIP(sy_rotate_flip_u16, uint16_t)
ROTATE_FLIP(sy_rotate_flip_u32, uint32_t)
