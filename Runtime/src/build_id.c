/* The identity of the code that compiles: the GNU build id of the loaded ELF
 * object (executable or shared library) holding a given address. The compile
 * cache keys objects by it, so a rebuilt compiler never reuses what an older
 * one produced, even at the same version number and ABI. */
#include "wasmaot_runtime.h"
#include <elf.h>
#include <link.h>
#include <string.h>

typedef struct build_id_query {
  uintptr_t address;
  uint8_t *out;
  size_t capacity;
  size_t length;
} build_id_query;

static int contains(const struct dl_phdr_info *info, uintptr_t address) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && address >= start && address - start < ph->p_memsz) return 1;
  }
  return 0;
}

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  build_id_query *q = data;
  if (!contains(info, q->address)) return 0; /* not this object: go on */
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
    const uint8_t *end = p + ph->p_memsz;
    while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
      const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)p;
      const uint8_t *name = p + sizeof *note;
      size_t name_size = ((size_t)note->n_namesz + 3) & ~(size_t)3;
      size_t desc_size = ((size_t)note->n_descsz + 3) & ~(size_t)3;
      if ((size_t)(end - name) < name_size || (size_t)(end - name) - name_size < desc_size) break;
      const uint8_t *desc = name + name_size;
      if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        q->length = note->n_descsz < q->capacity ? note->n_descsz : q->capacity;
        memcpy(q->out, desc, q->length);
        return 1;
      }
      p = desc + desc_size;
    }
  }
  return 1; /* the object has no build id */
}

size_t wasmaot_build_id(const void *address, uint8_t *out, size_t capacity) {
  build_id_query q = {(uintptr_t)address, out, capacity, 0};
  dl_iterate_phdr(find_build_id, &q);
  return q.length;
}
