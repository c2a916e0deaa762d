/* Private to the C runtime. */
#ifndef WASMAOT_INTERNAL_H
#define WASMAOT_INTERNAL_H
#include "../include/wasmaot_runtime.h"
#include <ffi.h>

#define WA_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Raises a trap on the calling thread: longjmps to the innermost wasmaot_invoke. */
__attribute__((noreturn)) void wa_raise_trap(uint32_t kind, uintptr_t fault_address);
/* An explicit trap of generated code: `function` is the site's index + 1 (0 unknown). */
__attribute__((noreturn)) void wa_raise_trap_at(uint32_t kind, uint32_t function, wasmaot_instance *instance);

/* Guard regions the signal handler may turn into traps. */
void wa_register_guard(uintptr_t start, uintptr_t length);
void wa_unregister_guard(uintptr_t start);

/* Per-thread entry state; set up by wasmaot_invoke. */
void wa_thread_prepare(void);
void wa_set_in_wasm(int in_wasm, int *previous);
/* Traps (stack exhausted) unless the thread still has its reserve for non-wasm
 * code: called first by host functions and by services that must not be
 * abandoned half-way (malloc, mprotect). */
void wa_require_stack(void);

/* Exceptions (exceptions.c): the services, and the bookkeeping of wasmaot_invoke. */
void wa_svc_try_enter(wasmaot_handler *handler);
void wa_svc_try_leave(wasmaot_handler *handler);
wasmaot_exception *wa_svc_exception_new(const wasmaot_tag *tag, uint32_t count);
__attribute__((noreturn)) void wa_svc_throw(wasmaot_exception *exception);
wasmaot_exception *wa_svc_caught(void);
void wa_svc_exception_done(wasmaot_exception *exception);
void wa_svc_exception_keep(wasmaot_exception *exception);
void wa_svc_exception_hold(wasmaot_exception *exception);
void wa_svc_catch_leave(wasmaot_exception *exception);
struct wasmaot_host_func {
  ffi_closure *closure;
  void *code;
  const wasmaot_signature *sig;
  wasmaot_host_callback callback;
  void *host_context;
};
/* Runs a host function for wasm code with its parameters in `cells`, where its results land
 * (entry.c); a failure traps or throws once the callback has returned. */
void wa_call_host(const wasmaot_host_func *h, wasmaot_instance *caller, wasmaot_value *cells);
/* rt->call_host (entry.c). */
void wa_svc_call_host(wasmaot_instance *ctx, uint32_t import, wasmaot_value *cells);
/* A host callback returned WASMAOT_TRAP_EXCEPTION: throws its pending exception. */
__attribute__((noreturn)) void wa_throw_pending(void);
typedef struct wa_exception_frame {
  wasmaot_handler *boundary;
  uint32_t held;
} wa_exception_frame;
typedef struct wa_exception_state {
  wasmaot_handler *handlers; /* innermost first */
  wasmaot_handler *boundary; /* the chain when the innermost wasmaot_invoke was entered */
  wasmaot_exception *live;   /* not pinned, not freed */
  wasmaot_exception *in_flight;
  wasmaot_exception *pending;  /* thrown by a host callback */
  wasmaot_exception *uncaught; /* left the last wasmaot_invoke */
  uint32_t depth;              /* nested wasmaot_invoke calls */
  /* The exceptions legacy catch clauses being executed hold, innermost last. */
  wasmaot_exception **held;
  uint32_t held_count, held_capacity;
} wa_exception_state;

extern __thread wa_exception_state wa_exceptions;
/* The slow paths of wa_exceptions_enter/exit (exceptions.c). */
void wa_exceptions_begin_outermost(void);
void wa_exceptions_release_held(uint32_t count);
void wa_exceptions_end_outermost(void);

/* Around each call into wasm (wasmaot_call, wasmaot_invoke): before the outermost one, the
 * last uncaught exception is freed; after it, every exception no global or table holds.
 * Inline: they run on every call across the boundary. */
static inline void wa_exceptions_enter(wa_exception_frame *frame) {
  if (WA_UNLIKELY(wa_exceptions.depth == 0 && wa_exceptions.uncaught)) wa_exceptions_begin_outermost();
  frame->held = wa_exceptions.held_count;
  frame->boundary = wa_exceptions.boundary;
  wa_exceptions.boundary = wa_exceptions.handlers;
  wa_exceptions.depth++;
}

static inline void wa_exceptions_exit(const wa_exception_frame *frame) {
  wa_exceptions.handlers = wa_exceptions.boundary; /* a trap may have left handlers of this call linked */
  if (WA_UNLIKELY(wa_exceptions.held_count > frame->held)) wa_exceptions_release_held(frame->held);
  wa_exceptions.boundary = frame->boundary;
  if (--wa_exceptions.depth > 0) return;
  if (WA_UNLIKELY(wa_exceptions.live != NULL || wa_exceptions.in_flight != NULL)) wa_exceptions_end_outermost();
}

struct wasmaot_signature {
  ffi_cif cif;
  ffi_type *arg_types[1 + WASMAOT_MAX_ARITY];       /* ctx, then parameters */
  ffi_type result_struct;                           /* for several results */
  ffi_type *result_elements[WASMAOT_MAX_ARITY + 1]; /* NULL-terminated */
  size_t result_offsets[WASMAOT_MAX_ARITY];
  uint32_t param_count, result_count;
  uint8_t params[WASMAOT_MAX_ARITY], results[WASMAOT_MAX_ARITY];
};
ffi_type *wa_ffi_type(uint8_t valtype);
size_t wa_value_size(uint8_t valtype);
#endif
