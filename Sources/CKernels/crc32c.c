// CRC-32C with the SSE4.2 crc32 instruction when the CPU has it: eight bytes an instruction,
// several times the table-driven loop; callers use the tables otherwise.
#include "ckernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_one(uint32_t state, const unsigned char *p, long n) {
    uint64_t crc = state;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        crc = _mm_crc32_u64(crc, v);
        p += 8;
        n -= 8;
    }
    uint32_t c = (uint32_t)crc;
    while (n-- > 0) c = _mm_crc32_u8(c, *p++);
    return c;
}

// The crc32 instruction takes 3 cycles and starts one a cycle: three independent streams over
// three blocks of STRIDE bytes keep it busy, and the blocks are joined with the CRC's linearity,
// crc(A‖B from s) = shift(crc(A from s)) ⊕ crc(B from 0), where shift(x) = crc(STRIDE zero bytes from x)
// is linear in x and tabulated byte by byte at first use.
#define STRIDE 1024
static uint32_t shift_table[4][256];
static int shift_ready;

__attribute__((target("sse4.2")))
static void build_shift_table(void) {
    static const unsigned char zeros[STRIDE];
    uint32_t column[32];
    for (int bit = 0; bit < 32; bit++) column[bit] = crc32c_one(1u << bit, zeros, STRIDE);
    for (int k = 0; k < 4; k++) {
        for (int b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int bit = 0; bit < 8; bit++) if (b & (1 << bit)) v ^= column[8 * k + bit];
            shift_table[k][b] = v;
        }
    }
}

static inline uint32_t shift(uint32_t x) {
    return shift_table[0][x & 0xFF] ^ shift_table[1][(x >> 8) & 0xFF] ^ shift_table[2][(x >> 16) & 0xFF] ^ shift_table[3][x >> 24];
}

// The three-stream loop; with `dst`, each 8 bytes read are also stored there, so a receiver
// checks and copies a payload in one pass (inlined twice, with and without `dst`).
__attribute__((target("sse4.2"), always_inline))
static inline uint32_t crc32c_sse42(uint32_t state, const unsigned char *p, long n, unsigned char *dst) {
    if (n < 3 * STRIDE) {
        if (dst && n > 0) memcpy(dst, p, (size_t)n);
        return crc32c_one(state, p, n);
    }
    if (!__atomic_load_n(&shift_ready, __ATOMIC_ACQUIRE)) {
        build_shift_table();
        __atomic_store_n(&shift_ready, 1, __ATOMIC_RELEASE);
    }
    uint32_t crc = state;
    while (n >= 3 * STRIDE) {
        uint64_t a = crc, b = 0, c = 0;
        for (long i = 0; i < STRIDE; i += 8) {
            uint64_t va, vb, vc;
            memcpy(&va, p + i, 8);
            memcpy(&vb, p + STRIDE + i, 8);
            memcpy(&vc, p + 2 * STRIDE + i, 8);
            a = _mm_crc32_u64(a, va);
            b = _mm_crc32_u64(b, vb);
            c = _mm_crc32_u64(c, vc);
            if (dst) {
                memcpy(dst + i, &va, 8);
                memcpy(dst + STRIDE + i, &vb, 8);
                memcpy(dst + 2 * STRIDE + i, &vc, 8);
            }
        }
        crc = shift(shift((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
        p += 3 * STRIDE;
        if (dst) dst += 3 * STRIDE;
        n -= 3 * STRIDE;
    }
    if (dst && n > 0) memcpy(dst, p, (size_t)n);
    return crc32c_one(crc, p, n);
}

int sy_crc32c_available(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("sse4.2");
    return cached;
}

__attribute__((target("sse4.2")))
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count) {
    return crc32c_sse42(state, (const unsigned char *)bytes, count, NULL);
}

__attribute__((target("sse4.2")))
uint32_t sy_crc32c_copy(uint32_t state, const void *bytes, long count, void *destination) {
    return crc32c_sse42(state, (const unsigned char *)bytes, count, (unsigned char *)destination);
}
#else
int sy_crc32c_available(void) { return 0; }
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count) { (void)bytes; (void)count; return state; }
uint32_t sy_crc32c_copy(uint32_t state, const void *bytes, long count, void *destination) {
    if (count > 0) memcpy(destination, bytes, (size_t)count);
    return state;
}
#endif
