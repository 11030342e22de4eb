// Per-thread scratch for the kernels' repacked activations, grown as needed and kept for the next
// call, so decode steps allocate nothing in steady state.
#include "stream_paths.h"
#include <stdlib.h>

static __thread void *scratch_block;
static __thread long scratch_capacity;

void *sy_thread_scratch(long bytes) {
    if (bytes > scratch_capacity) {
        free(scratch_block);
        long rounded = (bytes + 4095) & ~4095L;
        scratch_block = aligned_alloc(64, (size_t)rounded);
        scratch_capacity = scratch_block ? rounded : 0;
    }
    return scratch_block;
}
