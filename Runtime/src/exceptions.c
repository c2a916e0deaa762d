/* Wasm exceptions: the thread's chain of handlers and the lifetime of exception objects.
 *
 * A try_table of generated code links a wasmaot_handler (on its own C stack)
 * into the thread's chain and __builtin_setjmp()s into it; a throw unlinks the
 * innermost handler and __builtin_longjmp()s there. Handlers linked before the
 * innermost wasmaot_invoke belong to wasm frames below a host (Swift) frame: a
 * throw never jumps over that frame but leaves to wasmaot_invoke like a trap
 * (WASMAOT_TRAP_EXCEPTION), the host sees an error, and if it lets the error
 * through, its callback's trampoline throws it again once the callback has
 * returned. Traps ignore handlers: they jump to wasmaot_invoke, which drops the
 * handlers linked since it was entered.
 *
 * Lifetime: every exception is on the thread's list of live exceptions. A catch
 * clause that takes no exnref frees it at once (the usual throw-and-catch loop
 * allocates and frees one object per throw). One an exnref was taken of
 * (catch_ref, catch_all_ref) may be held in any wasm local, so it lives until
 * the thread's outermost wasm call returns, when no wasm frame is left that
 * could hold it. One stored in a global or table, or handed to the host, is
 * pinned: taken off the list, never freed.
 */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>

/* state: flags, and above them the number of legacy catch clauses holding the exception. */
enum { STATE_KEPT = 1, STATE_PINNED = 2, STATE_HOLD = 4 };

__thread wa_exception_state wa_exceptions;
#define ex wa_exceptions

static void unlink_live(wasmaot_exception *e) {
  if (e->prev) {
    e->prev->next = e->next;
  } else if (ex.live == e) {
    ex.live = e->next;
  }
  if (e->next) e->next->prev = e->prev;
  e->next = e->prev = NULL;
}

wasmaot_tag *wasmaot_tag_create(uint32_t type_id) {
  wasmaot_tag *tag = calloc(1, sizeof *tag);
  if (!tag) return NULL;
  tag->type_id = type_id;
  tag->refs = 1;
  return tag;
}

void wasmaot_tag_retain(wasmaot_tag *tag) { __atomic_fetch_add(&tag->refs, 1, __ATOMIC_RELAXED); }

void wasmaot_tag_release(wasmaot_tag *tag) {
  if (__atomic_sub_fetch(&tag->refs, 1, __ATOMIC_ACQ_REL) == 0) free(tag);
}

/* Frees an exception that no list or hold refers to any more. */
static void destroy(wasmaot_exception *e) {
  wasmaot_tag_release((wasmaot_tag *)e->tag);
  free(e);
}

wasmaot_exception *wasmaot_exception_create(const wasmaot_tag *tag, uint32_t count) {
  wasmaot_exception *e = malloc(sizeof *e + (size_t)count * sizeof(wasmaot_value));
  if (!e) return NULL;
  wasmaot_tag_retain((wasmaot_tag *)tag);
  e->tag = tag;
  e->count = count;
  e->state = 0;
  e->prev = NULL;
  e->next = ex.live;
  if (ex.live) ex.live->prev = e;
  ex.live = e;
  return e;
}

wasmaot_exception *wa_svc_exception_new(const wasmaot_tag *tag, uint32_t count) {
  wa_require_stack();
  wasmaot_exception *e = wasmaot_exception_create(tag, count);
  if (!e) {
    fprintf(stderr, "wasmaot: out of memory allocating an exception\n");
    abort();
  }
  return e;
}

static void release(wasmaot_exception *e, const wasmaot_exception *keep) {
  e->state -= STATE_HOLD;
  if (e->state < STATE_HOLD && !(e->state & (STATE_KEPT | STATE_PINNED)) && e != keep && e != ex.uncaught) {
    if (ex.in_flight == e) ex.in_flight = NULL;
    unlink_live(e);
    destroy(e);
  }
}

/* The clauses above `count` were left by a throw (or a trap): their holds end. */
static void release_held(uint32_t count, const wasmaot_exception *thrown) {
  while (ex.held_count > count) release(ex.held[--ex.held_count], thrown);
}

void wa_svc_exception_hold(wasmaot_exception *e) {
  if (ex.held_count == ex.held_capacity) {
    uint32_t capacity = ex.held_capacity ? 2 * ex.held_capacity : 16;
    wasmaot_exception **held = realloc(ex.held, capacity * sizeof *held);
    if (!held) {
      fprintf(stderr, "wasmaot: out of memory holding an exception\n");
      abort();
    }
    ex.held = held;
    ex.held_capacity = capacity;
  }
  ex.held[ex.held_count++] = e;
  e->state += STATE_HOLD;
}

void wa_svc_catch_leave(wasmaot_exception *e) {
  if (ex.held_count == 0 || ex.held[ex.held_count - 1] != e) return; /* (not held: nothing to end) */
  ex.held_count--;
  release(e, NULL);
}

void wa_svc_try_enter(wasmaot_handler *h) {
  h->held = ex.held_count;
  h->previous = ex.handlers;
  ex.handlers = h;
}

void wa_svc_try_leave(wasmaot_handler *h) { ex.handlers = h->previous; }

__attribute__((noreturn)) void wa_svc_throw(wasmaot_exception *e) {
  ex.in_flight = e;
  wasmaot_handler *h = ex.handlers;
  if (h && h != ex.boundary) {
    ex.handlers = h->previous;
    release_held(h->held, e);
    wa_set_in_wasm(1, NULL);
    __builtin_longjmp(h->jump, 1);
  }
  ex.uncaught = e;
  wa_raise_trap(WASMAOT_TRAP_EXCEPTION, 0);
}

wasmaot_exception *wa_svc_caught(void) { return ex.in_flight; }

void wa_svc_exception_done(wasmaot_exception *e) {
  if (e->state & (STATE_KEPT | STATE_PINNED) || e->state >= STATE_HOLD) return;
  if (ex.in_flight == e) ex.in_flight = NULL;
  unlink_live(e);
  destroy(e);
}

void wa_svc_exception_keep(wasmaot_exception *e) { e->state |= STATE_KEPT; }

void wasmaot_exception_pin(void *exception) {
  wasmaot_exception *e = exception;
  if (!e || (e->state & STATE_PINNED)) return;
  e->state |= STATE_PINNED;
  unlink_live(e);
}

const wasmaot_exception *wasmaot_last_exception(void) { return ex.uncaught; }

uint32_t wasmaot_live_exception_count(void) {
  uint32_t n = 0;
  for (const wasmaot_exception *e = ex.live; e; e = e->next) n++;
  return n;
}

void wasmaot_set_pending_exception(wasmaot_exception *e) { ex.pending = e; }

__attribute__((noreturn)) void wa_throw_pending(void) {
  wasmaot_exception *e = ex.pending;
  ex.pending = NULL;
  if (!e) wa_raise_trap(WASMAOT_TRAP_HOST, 0);
  wa_svc_throw(e);
}

void wa_exceptions_release_held(uint32_t count) { release_held(count, ex.uncaught); }

void wa_exceptions_end_outermost(void) {
  /* The outermost call returned: no wasm frame can hold an exnref any more. The
   * uncaught exception stays until the next outermost call, for the host to read. */
  wasmaot_exception *e = ex.live;
  while (e) {
    wasmaot_exception *next = e->next;
    if (e != ex.uncaught) {
      unlink_live(e);
      destroy(e);
    }
    e = next;
  }
  ex.in_flight = NULL;
}

void wa_exceptions_begin_outermost(void) {
  wasmaot_exception *e = ex.uncaught;
  ex.uncaught = NULL;
  if (!(e->state & STATE_PINNED)) {
    unlink_live(e);
    destroy(e);
  }
}
