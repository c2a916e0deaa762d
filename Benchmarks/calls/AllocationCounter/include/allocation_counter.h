/* Counts the heap allocations of the process (every malloc-family call), so that the call
 * benchmark can report allocations per call. Linked only into the benchmark executable:
 * it replaces the C library's allocator entry points and forwards to glibc's own. */
#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H
#include <stdint.h>

/* Allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) so far. */
uint64_t allocation_count(void);

#endif
