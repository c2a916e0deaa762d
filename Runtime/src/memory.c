/* Linear memories: an 8 GiB+ PROT_NONE reservation per memory, made
 * accessible page by page with mprotect as the memory grows. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* ---- copy-on-write images ---------------------------------------------------- */
struct wasmaot_memory_image {
  int fd;
  uint64_t size; /* mapped bytes: the data rounded up to the host page size */
};

wasmaot_memory_image *wasmaot_memory_image_create(const uint8_t *bytes, uint64_t size) {
  long host_page = sysconf(_SC_PAGESIZE);
  uint64_t page = host_page > 0 ? (uint64_t)host_page : 4096;
  wasmaot_memory_image *image = calloc(1, sizeof *image);
  if (!image) return NULL;
  image->size = (size + page - 1) / page * page;
  image->fd = memfd_create("wasmaot-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (image->fd < 0) { free(image); return NULL; }
  uint64_t written = 0;
  while (written < size) {
    ssize_t n = write(image->fd, bytes + written, size - written);
    if (n <= 0) { int saved = errno; close(image->fd); free(image); errno = saved; return NULL; }
    written += (uint64_t)n;
  }
  /* The tail of the last page reads as zeros; then nothing may change the file. */
  if (ftruncate(image->fd, (off_t)image->size) != 0 ||
      fcntl(image->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    int saved = errno;
    close(image->fd);
    free(image);
    errno = saved;
    return NULL;
  }
  return image;
}

void wasmaot_memory_image_free(wasmaot_memory_image *image) {
  if (!image) return;
  close(image->fd);
  free(image);
}

int wasmaot_memory_map_image(wasmaot_memory *m, const wasmaot_memory_image *image) {
  if (image->size > m->size) { errno = EINVAL; return -1; }
  if (image->size == 0) return 0;
  void *p = mmap(m->base, image->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image->fd, 0);
  if (p != MAP_FAILED) return 0;
  /* A failed MAP_FIXED may have unmapped the range: put zeroed memory back, so
   * the reservation never has a hole another mapping could land in. */
  int saved = errno;
  if (mmap(m->base, image->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) ==
      MAP_FAILED)
    abort();
  errno = saved;
  return -1;
}
