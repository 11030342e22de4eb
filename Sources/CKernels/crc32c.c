// CRC-32C with the SSE4.2 crc32 instruction when the CPU has it: eight bytes an instruction,
// several times the table-driven loop; callers use the tables otherwise.
#include "ckernels.h"
#include <stdlib.h>
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

// With VPCLMULQDQ (AVX-512): four 64-byte accumulators fold the message forward 256 bytes a step
// by carry-less products (each 128-bit lane: low half × x^(8D+31) mod P, high half × x^(8D-33) mod P,
// bit-reflected, D the distance in bytes: scripts/crc32c-fold-constants.py derives and checks them),
// then onto one lane, whose 16 bytes the crc32 instruction finishes. The running state is XORed
// into the first 4 bytes, which is what the crc32 instruction's state means.
#define K(lo, hi) _mm512_broadcast_i32x4(_mm_set_epi64x((long long)(hi), (long long)(lo)))

__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))
static inline __m512i fold512(__m512i x, __m512i k) {
    return _mm512_xor_si512(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11));
}

__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))
static inline __m128i fold128(__m128i x, uint32_t lo, uint32_t hi) {
    __m128i k = _mm_set_epi64x((long long)hi, (long long)lo);
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2"), always_inline))
static inline uint32_t crc32c_vpclmul(uint32_t state, const unsigned char *p, long n, unsigned char *dst) {
    const __m512i k256 = K(0xdcb17aa4u, 0xb9e02b86u), k192 = K(0xa87ab8a8u, 0xab7aff2au),
                  k128 = K(0x6992cea2u, 0x0d3b6092u), k64 = K(0x740eef02u, 0x9e4addf8u);
    __m512i x0 = _mm512_loadu_si512(p), x1 = _mm512_loadu_si512(p + 64), x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
    if (dst) {
        _mm512_storeu_si512(dst, x0); _mm512_storeu_si512(dst + 64, x1);
        _mm512_storeu_si512(dst + 128, x2); _mm512_storeu_si512(dst + 192, x3);
        dst += 256;
    }
    x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)state)));
    p += 256;
    n -= 256;
    while (n >= 256) {
        __m512i d0 = _mm512_loadu_si512(p), d1 = _mm512_loadu_si512(p + 64), d2 = _mm512_loadu_si512(p + 128), d3 = _mm512_loadu_si512(p + 192);
        if (dst) {
            _mm512_storeu_si512(dst, d0); _mm512_storeu_si512(dst + 64, d1);
            _mm512_storeu_si512(dst + 128, d2); _mm512_storeu_si512(dst + 192, d3);
            dst += 256;
        }
        x0 = _mm512_xor_si512(fold512(x0, k256), d0);
        x1 = _mm512_xor_si512(fold512(x1, k256), d1);
        x2 = _mm512_xor_si512(fold512(x2, k256), d2);
        x3 = _mm512_xor_si512(fold512(x3, k256), d3);
        p += 256;
        n -= 256;
    }
    __m512i x = _mm512_xor_si512(_mm512_xor_si512(fold512(x0, k192), fold512(x1, k128)), _mm512_xor_si512(fold512(x2, k64), x3));
    while (n >= 64) {
        __m512i d = _mm512_loadu_si512(p);
        if (dst) {
            _mm512_storeu_si512(dst, d);
            dst += 64;
        }
        x = _mm512_xor_si512(fold512(x, k64), d);
        p += 64;
        n -= 64;
    }
    __m128i r = _mm_xor_si128(_mm_xor_si128(fold128(_mm512_extracti32x4_epi32(x, 0), 0x1c291d04u, 0xddc0152bu),
                                            fold128(_mm512_extracti32x4_epi32(x, 1), 0x3da6d0cbu, 0xba4fc28eu)),
                              _mm_xor_si128(fold128(_mm512_extracti32x4_epi32(x, 2), 0xf20c0dfeu, 0x493c7d27u),
                                            _mm512_extracti32x4_epi32(x, 3)));
    uint64_t crc = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(r));
    crc = _mm_crc32_u64(crc, (uint64_t)_mm_extract_epi64(r, 1));
    if (dst && n > 0) memcpy(dst, p, (size_t)n);
    return crc32c_one((uint32_t)crc, p, n);
}

__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))
static uint32_t crc32c_vpclmul_update(uint32_t state, const unsigned char *p, long n) { return crc32c_vpclmul(state, p, n, NULL); }

__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))
static uint32_t crc32c_vpclmul_copy(uint32_t state, const unsigned char *p, long n, unsigned char *dst) {
    return crc32c_vpclmul(state, p, n, dst);
}

// Below this the three-stream crc32 loop is as fast, and the folding needs 256 bytes to start.
#define VPCLMUL_MIN_BYTES 1024

static int has_vpclmul(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq") &&
                 __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.2") && getenv("SWITCHYARD_CRC_NO_VPCLMUL") == NULL;
    }
    return cached;
}

int sy_crc32c_available(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("sse4.2");
    return cached;
}

__attribute__((target("sse4.2")))
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count) {
    if (count >= VPCLMUL_MIN_BYTES && has_vpclmul()) return crc32c_vpclmul_update(state, (const unsigned char *)bytes, count);
    return crc32c_sse42(state, (const unsigned char *)bytes, count, NULL);
}

__attribute__((target("sse4.2")))
uint32_t sy_crc32c_update_narrow(uint32_t state, const void *bytes, long count) {
    return crc32c_sse42(state, (const unsigned char *)bytes, count, NULL);
}

int sy_crc32c_wide_available(void) { return has_vpclmul(); }

__attribute__((target("sse4.2")))
uint32_t sy_crc32c_copy(uint32_t state, const void *bytes, long count, void *destination) {
    if (count >= VPCLMUL_MIN_BYTES && has_vpclmul()) {
        return crc32c_vpclmul_copy(state, (const unsigned char *)bytes, count, (unsigned char *)destination);
    }
    return crc32c_sse42(state, (const unsigned char *)bytes, count, (unsigned char *)destination);
}
#else
int sy_crc32c_available(void) { return 0; }
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count) { (void)bytes; (void)count; return state; }
uint32_t sy_crc32c_copy(uint32_t state, const void *bytes, long count, void *destination) {
    if (count > 0) memcpy(destination, bytes, (size_t)count);
    return state;
}
uint32_t sy_crc32c_update_narrow(uint32_t state, const void *bytes, long count) { (void)bytes; (void)count; return state; }
int sy_crc32c_wide_available(void) { return 0; }
#endif
