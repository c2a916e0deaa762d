/* Tables of references (funcref / externref). */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

/* No table grows past this many entries, whatever its declared maximum. */
#define WA_TABLE_HARD_LIMIT (1u << 26)

wasmaot_table *wasmaot_table_create(uint32_t min, uint32_t max, uint8_t elem_type) {
  if (min > max || min > WA_TABLE_HARD_LIMIT) return NULL;
  wasmaot_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->elements = calloc(min ? min : 1, sizeof(void *));
  if (!t->elements) {
    free(t);
    return NULL;
  }
  t->size = min;
  t->capacity = min ? min : 1;
  t->max = max;
  t->elem_type = elem_type;
  return t;
}

void wasmaot_table_free(wasmaot_table *t) {
  if (!t) return;
  free(t->elements);
  free(t);
}

uint32_t wasmaot_table_grow(wasmaot_table *t, uint32_t delta, void *init) {
  uint32_t old = t->size;
  uint64_t wanted = (uint64_t)old + delta;
  if (wanted > t->max || wanted > WA_TABLE_HARD_LIMIT) return UINT32_MAX;
  if (wanted > t->capacity) {
    uint64_t cap = (uint64_t)t->capacity * 2;
    if (cap < wanted) cap = wanted;
    if (cap > WA_TABLE_HARD_LIMIT) cap = WA_TABLE_HARD_LIMIT;
    void **grown = realloc(t->elements, cap * sizeof(void *));
    if (!grown) return UINT32_MAX;
    t->elements = grown;
    t->capacity = (uint32_t)cap;
  }
  for (uint64_t i = old; i < wanted; i++) t->elements[i] = init;
  t->size = (uint32_t)wanted;
  return old;
}
