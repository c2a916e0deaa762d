/* Private to the C runtime. */
#ifndef WASMAOT_INTERNAL_H
#define WASMAOT_INTERNAL_H
#include "../include/wasmaot_runtime.h"
#include <ffi.h>

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
/* A host callback returned WASMAOT_TRAP_EXCEPTION: throws its pending exception. */
__attribute__((noreturn)) void wa_throw_pending(void);
typedef struct wa_exception_frame {
  wasmaot_handler *boundary;
  uint32_t held;
} wa_exception_frame;
/* Called by wasmaot_invoke around each call: before the outermost one, the last
 * uncaught exception is freed; after it, every exception no global or table holds. */
void wa_exceptions_begin_outermost(void);
void wa_exceptions_enter(wa_exception_frame *frame);
void wa_exceptions_exit(const wa_exception_frame *frame);

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
