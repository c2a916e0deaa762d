/* The service table generated code calls through ctx->rt: traps, memory.grow
 * and the bulk memory/table operations. Every bulk operation checks its whole
 * range before writing anything. */
#include "internal.h"
#include <string.h>

static __attribute__((noreturn)) void svc_trap(wasmaot_instance *ctx, uint32_t code) {
  wa_raise_trap_at(code & 0xFF, code >> 8, ctx);
}

static uint64_t svc_memory_grow(wasmaot_instance *ctx, uint32_t memory, uint64_t delta) {
  wa_require_stack();
  uint32_t old = wasmaot_memory_grow(ctx->memories[memory], delta);
  return old == UINT32_MAX ? UINT64_MAX : old;
}

/* [start, start + n) lies in [0, size), without wrapping for 64-bit operands. */
static int in_range(uint64_t start, uint64_t n, uint64_t size) { return n <= size && start <= size - n; }

static void svc_memory_init(wasmaot_instance *ctx, uint32_t memory, uint32_t segment, uint64_t dst, uint32_t src,
                            uint32_t n) {
  wasmaot_memory *m = ctx->memories[memory];
  const wasmaot_segment *seg = &ctx->data_segments[segment];
  if (!in_range(src, n, seg->length) || !in_range(dst, n, m->size)) wa_raise_trap(WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS, 0);
  if (n) memcpy(m->base + dst, (const uint8_t *)seg->items + src, n);
}

static void svc_data_drop(wasmaot_instance *ctx, uint32_t segment) { ctx->data_segments[segment].length = 0; }

static void svc_table_init(wasmaot_instance *ctx, uint32_t table, uint32_t segment, uint64_t dst, uint32_t src,
                           uint32_t n) {
  wasmaot_table *t = ctx->tables[table];
  const wasmaot_segment *seg = &ctx->elem_segments[segment];
  if (!in_range(src, n, seg->length) || !in_range(dst, n, t->size)) wa_raise_trap(WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS, 0);
  if (n) memcpy(t->elements + dst, (void *const *)seg->items + src, (size_t)n * sizeof(void *));
}

static void svc_elem_drop(wasmaot_instance *ctx, uint32_t segment) { ctx->elem_segments[segment].length = 0; }

static void svc_table_copy(wasmaot_instance *ctx, uint32_t dst_table, uint32_t src_table, uint64_t dst, uint64_t src,
                           uint64_t n) {
  wasmaot_table *d = ctx->tables[dst_table], *s = ctx->tables[src_table];
  if (!in_range(dst, n, d->size) || !in_range(src, n, s->size)) wa_raise_trap(WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS, 0);
  if (n) memmove(d->elements + dst, s->elements + src, (size_t)n * sizeof(void *));
}

static uint64_t svc_table_grow(wasmaot_instance *ctx, uint32_t table, void *init, uint64_t delta) {
  wa_require_stack();
  uint32_t old = delta > UINT32_MAX ? UINT32_MAX : wasmaot_table_grow(ctx->tables[table], (uint32_t)delta, init);
  return old == UINT32_MAX ? UINT64_MAX : old;
}

static void svc_table_fill(wasmaot_instance *ctx, uint32_t table, uint64_t dst, void *value, uint64_t n) {
  wasmaot_table *t = ctx->tables[table];
  if (!in_range(dst, n, t->size)) wa_raise_trap(WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS, 0);
  for (uint64_t i = 0; i < n; i++) t->elements[dst + i] = value;
}

static const wasmaot_runtime services = {
    .abi_version = WASMAOT_ABI_VERSION,
    .size = sizeof(wasmaot_runtime),
    .trap = svc_trap,
    .memory_grow = svc_memory_grow,
    .fill_bytes = memset,
    .move_bytes = memmove,
    .memory_init = svc_memory_init,
    .data_drop = svc_data_drop,
    .table_init = svc_table_init,
    .elem_drop = svc_elem_drop,
    .table_copy = svc_table_copy,
    .table_grow = svc_table_grow,
    .table_fill = svc_table_fill,
    .try_enter = wa_svc_try_enter,
    .try_leave = wa_svc_try_leave,
    .exception_new = wa_svc_exception_new,
    .throw_exception = wa_svc_throw,
    .caught = wa_svc_caught,
    .exception_done = wa_svc_exception_done,
    .exception_keep = wa_svc_exception_keep,
    .exception_pin = wasmaot_exception_pin,
    .exception_hold = wa_svc_exception_hold,
    .catch_leave = wa_svc_catch_leave,
    .call_host = wa_svc_call_host,
};

const wasmaot_runtime *wasmaot_runtime_services(void) { return &services; }

void wasmaot_set_interrupt(wasmaot_instance *ctx, uint32_t value) {
  __atomic_store_n(&ctx->interrupt, value, __ATOMIC_RELAXED);
}
