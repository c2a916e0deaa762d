/* Linear memories: an 8 GiB+ PROT_NONE reservation per memory, made
 * accessible page by page with mprotect as the memory grows; copy-on-write
 * images of the initial data; and a pool that recycles reservations. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The pool and the images' reference counts. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- copy-on-write images ----------------------------------------------------
 * Only the host pages that data segments touch are kept, in extents: runs of
 * pages stored one after the other in an in-memory file and each mapped at its
 * place in the memory. Everything else stays anonymous memory (zeros, eligible
 * for huge pages): a toolchain that puts a 16 MiB stack below its data costs
 * one page of image, not 16 MiB. */
#define WA_IMAGE_MAX_EXTENTS 16 /* mmap calls per instantiation, at most */

typedef struct {
  uint64_t offset;      /* in the memory; host-page aligned */
  uint64_t file_offset; /* in the file; host-page aligned */
  uint64_t length;      /* a multiple of the host page */
} wa_extent;

struct wasmaot_memory_image {
  int fd;
  uint64_t size; /* end of the last extent: the memory must be at least this big */
  uint32_t extent_count;
  wa_extent extents[WA_IMAGE_MAX_EXTENTS];
  uint32_t refs; /* the creator's, plus one per memory or pooled slot mapping it */
  int released;  /* the creator let go: no new memory will ask for it */
};

static uint64_t host_page_size(void) {
  long host_page = sysconf(_SC_PAGESIZE);
  return host_page > 0 ? (uint64_t)host_page : 4096;
}

static int compare_extent_offsets(const void *a, const void *b) {
  uint64_t x = ((const wa_extent *)a)->offset, y = ((const wa_extent *)b)->offset;
  return x < y ? -1 : x > y;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The page runs segments touch, sorted and merged; where there would be more
 * than WA_IMAGE_MAX_EXTENTS, the smallest gaps are closed (they read as zeros
 * from the file's holes). Returns the number of extents, or -1 (errno). */
static int plan_extents(const wasmaot_image_segment *segments, uint32_t count, uint64_t page,
                        wa_extent out[WA_IMAGE_MAX_EXTENTS]) {
  wa_extent *runs = malloc((count ? count : 1) * sizeof *runs);
  uint64_t *gaps = malloc((count ? count : 1) * sizeof *gaps);
  if (!runs || !gaps) {
    free(runs);
    free(gaps);
    errno = ENOMEM;
    return -1;
  }
  uint32_t n = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (segments[i].length == 0) continue;
    uint64_t from = segments[i].offset / page * page;
    uint64_t to = (segments[i].offset + segments[i].length + page - 1) / page * page;
    runs[n++] = (wa_extent){from, 0, to - from};
  }
  qsort(runs, n, sizeof *runs, compare_extent_offsets);
  uint32_t merged = 0; /* overlapping or touching runs become one */
  for (uint32_t i = 0; i < n; i++) {
    if (merged && runs[i].offset <= runs[merged - 1].offset + runs[merged - 1].length) {
      uint64_t end = runs[i].offset + runs[i].length;
      if (end > runs[merged - 1].offset + runs[merged - 1].length)
        runs[merged - 1].length = end - runs[merged - 1].offset;
    } else {
      runs[merged++] = runs[i];
    }
  }
  uint64_t widest_closed = 0; /* gaps up to this wide are closed */
  if (merged > WA_IMAGE_MAX_EXTENTS) {
    for (uint32_t i = 1; i < merged; i++) gaps[i - 1] = runs[i].offset - (runs[i - 1].offset + runs[i - 1].length);
    qsort(gaps, merged - 1, sizeof *gaps, compare_u64);
    widest_closed = gaps[merged - WA_IMAGE_MAX_EXTENTS - 1];
  }
  uint32_t kept = 0; /* gaps are at least a page wide, so 0 closes none */
  for (uint32_t i = 0; i < merged; i++) {
    uint64_t gap = kept ? runs[i].offset - (out[kept - 1].offset + out[kept - 1].length) : 0;
    if (kept && (gap <= widest_closed || kept == WA_IMAGE_MAX_EXTENTS)) {
      out[kept - 1].length = runs[i].offset + runs[i].length - out[kept - 1].offset;
    } else {
      out[kept++] = runs[i];
    }
  }
  free(runs);
  free(gaps);
  uint64_t file_offset = 0;
  for (uint32_t i = 0; i < kept; i++) {
    out[i].file_offset = file_offset;
    file_offset += out[i].length;
  }
  return (int)kept;
}

wasmaot_memory_image *wasmaot_memory_image_create(const wasmaot_image_segment *segments, uint32_t count) {
  uint64_t page = host_page_size();
  for (uint32_t i = 0; i < count; i++) {
    if (segments[i].offset > UINT64_MAX - page || segments[i].length > UINT64_MAX - page - segments[i].offset) {
      errno = EINVAL;
      return NULL;
    }
  }
  wasmaot_memory_image *image = calloc(1, sizeof *image);
  if (!image) return NULL;
  int extents = plan_extents(segments, count, page, image->extents);
  if (extents < 0) {
    free(image);
    return NULL;
  }
  image->extent_count = (uint32_t)extents;
  image->refs = 1;
  uint64_t stored = 0; /* bytes of file the extents map */
  for (uint32_t i = 0; i < image->extent_count; i++) {
    image->size = image->extents[i].offset + image->extents[i].length;
    stored += image->extents[i].length;
  }
  image->fd = memfd_create("wasmaot-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (image->fd < 0) {
    free(image);
    return NULL;
  }
  int failed = ftruncate(image->fd, (off_t)stored) != 0;
  /* In order, so that a later segment overwrites an earlier one, as instantiation would. */
  for (uint32_t i = 0; i < count && !failed; i++) {
    const wasmaot_image_segment *segment = &segments[i];
    if (segment->length == 0) continue;
    const wa_extent *extent = &image->extents[0];
    for (uint32_t e = 1; e < image->extent_count && image->extents[e].offset <= segment->offset; e++)
      extent = &image->extents[e];
    uint64_t at = extent->file_offset + (segment->offset - extent->offset), written = 0;
    while (written < segment->length) {
      ssize_t n = pwrite(image->fd, segment->bytes + written, segment->length - written, (off_t)(at + written));
      if (n <= 0) {
        if (n == 0) errno = EIO;
        failed = 1;
        break;
      }
      written += (uint64_t)n;
    }
  }
  /* Then nothing may change the file. */
  if (failed || fcntl(image->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    int saved = errno;
    close(image->fd);
    free(image);
    errno = saved;
    return NULL;
  }
  return image;
}

/* Drops one reference; the caller holds pool_lock. Returns the image to destroy, if any. */
static wasmaot_memory_image *image_unref_locked(wasmaot_memory_image *image) {
  return (image && --image->refs == 0) ? image : NULL;
}

static void image_destroy(wasmaot_memory_image *image) {
  if (!image) return;
  close(image->fd);
  free(image);
}

/* Maps the image's extents into a reservation made read-write. */
static int map_image_at(uint8_t *base, const wasmaot_memory_image *image) {
  for (uint32_t i = 0; i < image->extent_count; i++) {
    const wa_extent *e = &image->extents[i];
    void *p = mmap(base + e->offset, e->length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image->fd,
                   (off_t)e->file_offset);
    if (p == MAP_FAILED) return -1;
  }
  return 0;
}

/* ---- the reservation pool -------------------------------------------------------
 * A freed memory's reservation is kept for the next memory instead of being
 * unmapped, and reset as it is freed (outside anyone's instantiation), so that
 * creating a memory usually costs no system call:
 *  - a slot is tagged with the image it maps and its accessible size. On free,
 *    pages past that size become fresh PROT_NONE address space again and the
 *    rest is dropped with MADV_DONTNEED: the image mapping's private pages read
 *    the image again, anonymous pages read zeros. A memory created with the same
 *    image and size takes such a slot as it is ("resident");
 *  - any other request takes a clean slot (no image, size 0) or reserves anew.
 * Nothing of a previous memory's contents survives the reset. A slot holds a
 * reference to its image; slots of an image its creator released are unmapped. */
#define WA_POOL_SLOTS 32

typedef struct {
  uint8_t *base;
  wasmaot_memory_image *image;
  uint64_t size; /* accessible bytes (read-write) */
} wa_slot;

static wa_slot pool[WA_POOL_SLOTS];
static uint32_t pool_count;

/* A memory as the runtime allocates it: the ABI part first. */
typedef struct {
  wasmaot_memory memory;
  wasmaot_memory_image *image; /* mapped at base (one reference), or NULL */
  uint64_t initial_size;       /* accessible bytes when created */
} wa_memory;

/* Takes the slot tagged (image, size), or else a clean one; NULL if none. The
 * slot's image reference passes to the caller. */
static uint8_t *pool_take(const wasmaot_memory_image *image, uint64_t size, int *resident) {
  uint8_t *base = NULL;
  pthread_mutex_lock(&pool_lock);
  uint32_t found = pool_count;
  for (uint32_t i = 0; i < pool_count; i++) {
    if (pool[i].image == image && pool[i].size == size) {
      found = i;
      *resident = 1;
      break;
    }
    if (found == pool_count && pool[i].image == NULL && pool[i].size == 0) found = i;
  }
  if (found < pool_count) {
    base = pool[found].base;
    pool[found] = pool[--pool_count];
  }
  pthread_mutex_unlock(&pool_lock);
  return base;
}

/* Keeps a reset reservation with its image reference; unmaps it (and drops the
 * reference) when the pool is full or nobody will ask for that image again. */
static void pool_put(uint8_t *base, wasmaot_memory_image *image, uint64_t size) {
  wasmaot_memory_image *dead = NULL;
  pthread_mutex_lock(&pool_lock);
  int kept = pool_count < WA_POOL_SLOTS && !(image && image->released);
  if (kept)
    pool[pool_count++] = (wa_slot){base, image, size};
  else
    dead = image_unref_locked(image);
  pthread_mutex_unlock(&pool_lock);
  if (!kept) munmap(base, WASMAOT_MEMORY_RESERVATION);
  image_destroy(dead);
}

void wasmaot_memory_image_free(wasmaot_memory_image *image) {
  if (!image) return;
  uint8_t *dropped[WA_POOL_SLOTS];
  uint32_t count = 0;
  pthread_mutex_lock(&pool_lock);
  image->released = 1;
  for (uint32_t i = 0; i < pool_count;) {
    if (pool[i].image == image) {
      dropped[count++] = pool[i].base;
      image->refs--; /* never the last: the creator's is still there */
      pool[i] = pool[--pool_count];
    } else {
      i++;
    }
  }
  wasmaot_memory_image *dead = image_unref_locked(image);
  pthread_mutex_unlock(&pool_lock);
  for (uint32_t i = 0; i < count; i++) munmap(dropped[i], WASMAOT_MEMORY_RESERVATION);
  image_destroy(dead);
}

/* ---- reservations ---------------------------------------------------------------
 * Aligned to 2 MiB, so that memory the guest grows into can come in
 * transparent huge pages: past a memory's initial size, the reservation is
 * advised MADV_HUGEPAGE (one fault and one TLB entry per 2 MiB instead of 512,
 * which speeds up memory-bound code; under the common system setting "madvise"
 * only advised memory gets huge pages). The initial memory is advised
 * MADV_NOHUGEPAGE: an instance touching a few pages of its stack and data must
 * not zero 2 MiB for each, which would make short-lived instances slower.
 * WASMAOT_HUGE_PAGES=0 in the environment gives no advice at all (the system's
 * default applies). Measurements: Benchmarks/README.md. */
#define WA_RESERVATION_ALIGN ((uint64_t)2 << 20)

static pthread_once_t huge_pages_once = PTHREAD_ONCE_INIT;
static int huge_pages_wanted;

static void read_huge_pages_setting(void) {
  const char *setting = getenv("WASMAOT_HUGE_PAGES");
  huge_pages_wanted = !(setting && strcmp(setting, "0") == 0);
}

/* Best effort: a kernel without THP refuses, and the memory works as before. */
static void advise_pages(uint8_t *at, uint64_t length, int huge) {
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
  pthread_once(&huge_pages_once, read_huge_pages_setting);
  if (huge_pages_wanted && length) (void)madvise(at, length, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#else
  (void)at;
  (void)length;
  (void)huge;
#endif
}

/* A fresh reservation, all PROT_NONE; NULL (with errno) on failure. */
static uint8_t *reserve(void) {
  uint64_t length = WASMAOT_MEMORY_RESERVATION + WA_RESERVATION_ALIGN;
  uint8_t *raw = mmap(NULL, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  uint8_t *base = (uint8_t *)(((uintptr_t)raw + WA_RESERVATION_ALIGN - 1) & ~(uintptr_t)(WA_RESERVATION_ALIGN - 1));
  uint8_t *end = base + WASMAOT_MEMORY_RESERVATION;
  if (base > raw) munmap(raw, (size_t)(base - raw));
  if (raw + length > end) munmap(end, (size_t)(raw + length - end));
  return base;
}

/* Makes [from, to) of a reservation fresh inaccessible address space again. */
static int reset_to_none(uint8_t *base, uint64_t from, uint64_t to) {
  if (to <= from) return 0;
  void *p = mmap(base + from, to - from, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) return -1;
  advise_pages(base + from, to - from, 1); /* only ever past a memory's initial size */
  return 0;
}

/* ---- memories ------------------------------------------------------------------ */
wasmaot_memory *wasmaot_memory_create_with_image(uint64_t min_pages, uint64_t max_pages, wasmaot_memory_image *image) {
  wasmaot_install_signal_handlers();
  if (max_pages > WASMAOT_MAX_PAGES) max_pages = WASMAOT_MAX_PAGES;
  if (min_pages > max_pages) {
    errno = EINVAL;
    return NULL;
  }
  uint64_t size = min_pages * WASMAOT_PAGE_SIZE;
  if (image && image->size > size) {
    errno = EINVAL;
    return NULL;
  }
  wa_memory *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  int resident = 0;
  uint8_t *base = pool_take(image, size, &resident);
  if (!base) {
    base = reserve();
    if (!base) {
      free(m);
      return NULL;
    }
  }
  if (!resident) {
    if ((size && mprotect(base, size, PROT_READ | PROT_WRITE) != 0) || (image && map_image_at(base, image) != 0)) {
      int saved = errno;
      munmap(base, WASMAOT_MEMORY_RESERVATION);
      free(m);
      errno = saved;
      return NULL;
    }
    advise_pages(base, size, 0);
    advise_pages(base + size, WASMAOT_MEMORY_RESERVATION - size, 1);
    if (image) {
      pthread_mutex_lock(&pool_lock);
      image->refs++;
      pthread_mutex_unlock(&pool_lock);
    }
  }
  m->memory.base = base;
  m->memory.reserved = WASMAOT_MEMORY_RESERVATION;
  m->memory.max_pages = max_pages;
  m->memory.size = size;
  m->image = image;
  m->initial_size = size;
  wa_register_guard((uintptr_t)base, WASMAOT_MEMORY_RESERVATION);
  return &m->memory;
}

wasmaot_memory *wasmaot_memory_create(uint64_t min_pages, uint64_t max_pages) {
  return wasmaot_memory_create_with_image(min_pages, max_pages, NULL);
}

void wasmaot_memory_free(wasmaot_memory *memory) {
  if (!memory) return;
  wa_memory *m = (wa_memory *)memory;
  uint8_t *base = memory->base;
  wa_unregister_guard((uintptr_t)base);
  /* Back to the memory's initial state: grown pages gone, the rest read afresh. */
  if (reset_to_none(base, m->initial_size, memory->size) == 0 &&
      (m->initial_size == 0 || madvise(base, m->initial_size, MADV_DONTNEED) == 0)) {
    pool_put(base, m->image, m->initial_size);
  } else {
    munmap(base, memory->reserved);
    pthread_mutex_lock(&pool_lock);
    wasmaot_memory_image *dead = image_unref_locked(m->image);
    pthread_mutex_unlock(&pool_lock);
    image_destroy(dead);
  }
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
