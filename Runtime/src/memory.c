/* Linear memories: an 8 GiB+ PROT_NONE reservation per memory, made
 * accessible page by page with mprotect as the memory grows; copy-on-write
 * images of the initial data; and a pool that recycles reservations. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The pool and the images' reference counts. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- copy-on-write images ---------------------------------------------------- */
struct wasmaot_memory_image {
  int fd;
  uint64_t size;     /* mapped bytes: the data rounded up to the host page size */
  uint32_t refs;     /* the creator's, plus one per memory or pooled slot mapping it */
  int released;      /* the creator let go: no new memory will ask for it */
};

wasmaot_memory_image *wasmaot_memory_image_create(const uint8_t *bytes, uint64_t size) {
  long host_page = sysconf(_SC_PAGESIZE);
  uint64_t page = host_page > 0 ? (uint64_t)host_page : 4096;
  wasmaot_memory_image *image = calloc(1, sizeof *image);
  if (!image) return NULL;
  image->size = (size + page - 1) / page * page;
  image->refs = 1;
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

/* Drops one reference; the caller holds pool_lock. Returns the image to destroy, if any. */
static wasmaot_memory_image *image_unref_locked(wasmaot_memory_image *image) {
  return (image && --image->refs == 0) ? image : NULL;
}

static void image_destroy(wasmaot_memory_image *image) {
  if (!image) return;
  close(image->fd);
  free(image);
}

/* Maps the image over the start of a reservation made read-write. */
static int map_image_at(uint8_t *base, const wasmaot_memory_image *image) {
  if (image->size == 0) return 0;
  void *p = mmap(base, image->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image->fd, 0);
  return p == MAP_FAILED ? -1 : 0;
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
    if (pool[i].image == image && pool[i].size == size) { found = i; *resident = 1; break; }
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
  if (kept) pool[pool_count++] = (wa_slot){base, image, size};
  else dead = image_unref_locked(image);
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
      image->refs--;  /* never the last: the creator's is still there */
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

/* Makes [from, to) of a reservation fresh inaccessible address space again. */
static int reset_to_none(uint8_t *base, uint64_t from, uint64_t to) {
  if (to <= from) return 0;
  void *p = mmap(base + from, to - from, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? -1 : 0;
}

/* ---- memories ------------------------------------------------------------------ */
wasmaot_memory *wasmaot_memory_create_with_image(uint64_t min_pages, uint64_t max_pages,
                                                 wasmaot_memory_image *image) {
  wasmaot_install_signal_handlers();
  if (max_pages > WASMAOT_MAX_PAGES) max_pages = WASMAOT_MAX_PAGES;
  if (min_pages > max_pages) { errno = EINVAL; return NULL; }
  uint64_t size = min_pages * WASMAOT_PAGE_SIZE;
  if (image && image->size > size) { errno = EINVAL; return NULL; }
  wa_memory *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  int resident = 0;
  uint8_t *base = pool_take(image, size, &resident);
  if (!base) {
    base = mmap(NULL, WASMAOT_MEMORY_RESERVATION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) { free(m); return NULL; }
  }
  if (!resident) {
    if ((size && mprotect(base, size, PROT_READ | PROT_WRITE) != 0) || (image && map_image_at(base, image) != 0)) {
      int saved = errno;
      munmap(base, WASMAOT_MEMORY_RESERVATION);
      free(m);
      errno = saved;
      return NULL;
    }
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
