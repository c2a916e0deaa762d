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
