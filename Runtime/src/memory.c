/* Linear memories: an 8 GiB+ PROT_NONE reservation per memory, made
 * accessible page by page with mprotect as the memory grows. */
#include "internal.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

wasmaot_memory *wasmaot_memory_create(uint64_t min_pages, uint64_t max_pages) {
  wasmaot_install_signal_handlers();
  if (max_pages > WASMAOT_MAX_PAGES) max_pages = WASMAOT_MAX_PAGES;
  if (min_pages > max_pages) { errno = EINVAL; return NULL; }
  wasmaot_memory *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  void *base = mmap(NULL, WASMAOT_MEMORY_RESERVATION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) { free(m); return NULL; }
  m->base = base;
  m->reserved = WASMAOT_MEMORY_RESERVATION;
  m->max_pages = max_pages;
  if (min_pages && mprotect(base, min_pages * WASMAOT_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0) {
    int saved = errno;
    munmap(base, WASMAOT_MEMORY_RESERVATION);
    free(m);
    errno = saved;
    return NULL;
  }
  m->size = min_pages * WASMAOT_PAGE_SIZE;
  wa_register_guard((uintptr_t)base, WASMAOT_MEMORY_RESERVATION);
  return m;
}

void wasmaot_memory_free(wasmaot_memory *m) {
  if (!m) return;
  wa_unregister_guard((uintptr_t)m->base);
  munmap(m->base, m->reserved);
  free(m);
}

uint32_t wasmaot_memory_grow(wasmaot_memory *m, uint64_t delta) {
  uint64_t old = m->size / WASMAOT_PAGE_SIZE;
  if (delta == 0) return (uint32_t)old;
  if (delta > m->max_pages || old + delta > m->max_pages) return UINT32_MAX;
  if (mprotect(m->base + m->size, delta * WASMAOT_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0) return UINT32_MAX;
  m->size = (old + delta) * WASMAOT_PAGE_SIZE;
  return (uint32_t)old;
}
