// Frames and activations are megabytes, allocated and freed every layer. glibc returns such blocks
// to the kernel (mmap, trim) and then faults fresh zeroed pages back in; keeping them in the heap
// removes that cost from every exchange.
#include "ckernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void sy_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
