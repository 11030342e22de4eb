// The all-to-all echo host's answer (AlltoallEchoRule): every row rotated left by `shift`
// columns with its sign bits flipped, as two straight runs per row that the compiler vectorises.
#include "ckernels.h"

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
