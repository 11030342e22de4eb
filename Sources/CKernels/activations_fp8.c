// FP8 E4M3 activations on the wire: rows of float32 quantized with one float32 scale per block of
// 128 values (amax / 448), and widened back. Plain C the compiler vectorises; the encoding is
// FloatFormats.e4m3's, value for value.
#include "ckernels.h"
#include <math.h>
#include <string.h>

#define SY_ACT_BLOCK 128

static inline uint8_t to_e4m3(float value) {
    if (value != value) return 0x7F;
    uint32_t bits;
    memcpy(&bits, &value, 4);
    uint8_t sign = (uint8_t)((bits >> 24) & 0x80);
    uint32_t magnitude_bits = bits & 0x7FFFFFFFu;
    int exponent = (int)(magnitude_bits >> 23) - 127;
    if (exponent < -6) {
        // Subnormal codes are multiples of 2^-9 (to nearest, ties to even); 8 carries into code 8.
        float magnitude;
        memcpy(&magnitude, &magnitude_bits, 4);
        return sign | (uint8_t)nearbyintf(magnitude * 512.0f);
    }
    uint32_t mantissa = magnitude_bits & 0x7FFFFFu;
    uint32_t rounded = (mantissa + 0x7FFFFu + ((mantissa >> 20) & 1u)) >> 20;
    long code = ((long)(exponent + 7) << 3) + (long)rounded;
    return sign | (uint8_t)(code > 0x7E ? 0x7E : code);
}

static float e4m3_table[256];
static int e4m3_table_ready;

static float from_e4m3(uint8_t bits) {
    int exponent = (bits >> 3) & 0x0F, mantissa = bits & 0x07;
    if (exponent == 15 && mantissa == 7) return NAN;
    float magnitude = exponent == 0 ? (float)mantissa * 0x1p-9f : ldexpf((float)(8 + mantissa), exponent - 10);
    return (bits & 0x80) ? -magnitude : magnitude;
}

static const float *table(void) {
    if (!__atomic_load_n(&e4m3_table_ready, __ATOMIC_ACQUIRE)) {
        float built[256];
        for (int i = 0; i < 256; i++) built[i] = from_e4m3((uint8_t)i);
        memcpy(e4m3_table, built, sizeof built);
        __atomic_store_n(&e4m3_table_ready, 1, __ATOMIC_RELEASE);
    }
    return e4m3_table;
}

void sy_quantize_e4m3_rows(const float *src, const uint32_t *rows, long count, long width, float *scales, uint8_t *codes) {
    long blocks = (width + SY_ACT_BLOCK - 1) / SY_ACT_BLOCK;
    for (long r = 0; r < count; r++) {
        const float *x = src + (rows ? (long)rows[r] : r) * width;
        uint8_t *out = codes + r * width;
        for (long b = 0; b < blocks; b++) {
            long c0 = b * SY_ACT_BLOCK, c1 = c0 + SY_ACT_BLOCK < width ? c0 + SY_ACT_BLOCK : width;
            float amax = 0.0f;
            for (long c = c0; c < c1; c++) { float a = fabsf(x[c]); amax = a > amax ? a : amax; }
            // An all-zero (or non-finite) block keeps scale 1, so it decodes to what was sent.
            float scale = amax / 448.0f;
            if (!(scale > 0.0f) || !isfinite(scale)) scale = 1.0f;
            scales[r * blocks + b] = scale;
            for (long c = c0; c < c1; c++) out[c] = to_e4m3(x[c] / scale);
        }
    }
}

void sy_dequantize_e4m3_rows(const float *scales, const uint8_t *codes, long count, long width, float *dst) {
    const float *values = table();
    long blocks = (width + SY_ACT_BLOCK - 1) / SY_ACT_BLOCK;
    for (long r = 0; r < count; r++) {
        for (long b = 0; b < blocks; b++) {
            long c0 = b * SY_ACT_BLOCK, c1 = c0 + SY_ACT_BLOCK < width ? c0 + SY_ACT_BLOCK : width;
            float scale = scales[r * blocks + b];
            for (long c = c0; c < c1; c++) dst[r * width + c] = values[codes[r * width + c]] * scale;
        }
    }
}
