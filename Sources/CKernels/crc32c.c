// CRC-32C with the SSE4.2 crc32 instruction when the CPU has it: eight bytes an instruction,
// several times the table-driven loop; callers use the tables otherwise.
#include "ckernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t state, const unsigned char *p, long n) {
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

int sy_crc32c_available(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("sse4.2");
    return cached;
}

uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count) {
    return crc32c_sse42(state, (const unsigned char *)bytes, count);
}
#else
int sy_crc32c_available(void) { return 0; }
uint32_t sy_crc32c_update(uint32_t state, const void *bytes, long count) { (void)bytes; (void)count; return state; }
#endif
