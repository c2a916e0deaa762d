/* Native call signatures (libffi cifs) and host functions as native function
 * pointers (libffi closures) with the calling convention of wasmaot_abi.h. */
#include "internal.h"
#include <dlfcn.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

/* wasmaot_v128: two 64-bit words. Size and alignment are filled in here, so
 * libffi never initialises this shared description lazily (no data race). */
static ffi_type *v128_elements[] = {&ffi_type_uint64, &ffi_type_uint64, NULL};
static ffi_type v128_type = {sizeof(wasmaot_v128), _Alignof(wasmaot_v128), FFI_TYPE_STRUCT, v128_elements};

ffi_type *wa_ffi_type(uint8_t t) {
  switch (t) {
  case WASMAOT_V128:
    return &v128_type;
  case WASMAOT_I32:
    return &ffi_type_uint32;
  case WASMAOT_I64:
    return &ffi_type_uint64;
  case WASMAOT_F32:
    return &ffi_type_float;
  case WASMAOT_F64:
    return &ffi_type_double;
  case WASMAOT_FUNCREF:
  case WASMAOT_EXTERNREF:
  case WASMAOT_EXNREF:
    return &ffi_type_pointer;
  default:
    return NULL;
  }
}

size_t wa_value_size(uint8_t t) {
  switch (t) {
  case WASMAOT_I32:
  case WASMAOT_F32:
    return 4;
  case WASMAOT_V128:
    return 16;
  default:
    return 8;
  }
}

wasmaot_signature *wasmaot_signature_create(const uint8_t *params, uint32_t param_count, const uint8_t *results,
                                            uint32_t result_count) {
  if (param_count > WASMAOT_MAX_ARITY || result_count > WASMAOT_MAX_ARITY) return NULL;
  wasmaot_signature *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->param_count = param_count;
  s->result_count = result_count;
  s->arg_types[0] = &ffi_type_pointer;
  for (uint32_t i = 0; i < param_count; i++) {
    s->params[i] = params[i];
    if (!(s->arg_types[1 + i] = wa_ffi_type(params[i]))) goto fail;
  }
  ffi_type *rtype = &ffi_type_void;
  if (result_count == 1) {
    s->results[0] = results[0];
    if (!(rtype = wa_ffi_type(results[0]))) goto fail;
  } else if (result_count > 1) {
    for (uint32_t i = 0; i < result_count; i++) {
      s->results[i] = results[i];
      if (!(s->result_elements[i] = wa_ffi_type(results[i]))) goto fail;
    }
    s->result_elements[result_count] = NULL;
    s->result_struct.type = FFI_TYPE_STRUCT;
    s->result_struct.elements = s->result_elements;
    rtype = &s->result_struct;
  }
  if (ffi_prep_cif(&s->cif, FFI_DEFAULT_ABI, 1 + param_count, rtype, s->arg_types) != FFI_OK) goto fail;
  if (result_count > 1 && ffi_get_struct_offsets(FFI_DEFAULT_ABI, &s->result_struct, s->result_offsets) != FFI_OK)
    goto fail;
  return s;
fail:
  free(s);
  return NULL;
}

void wasmaot_signature_free(wasmaot_signature *s) { free(s); }

static void write_result(void *dst, const wasmaot_value *cell, uint8_t type, int widen) {
  if (widen && (type == WASMAOT_I32)) {
    ffi_arg word = cell->i32;
    memcpy(dst, &word, sizeof word);
  } else {
    memcpy(dst, cell, wa_value_size(type));
  }
}

static void closure_entry(ffi_cif *cif, void *ret, void **args, void *user_data) {
  (void)cif;
  wasmaot_host_func *h = user_data;
  const wasmaot_signature *sig = h->sig;
  wasmaot_instance *caller = *(wasmaot_instance **)args[0];
  uint32_t count = sig->param_count > sig->result_count ? sig->param_count : sig->result_count;
  wasmaot_value cells[count ? count : 1];
  memset(cells, 0, sizeof cells);
  for (uint32_t i = 0; i < sig->param_count; i++) memcpy(&cells[i], args[1 + i], wa_value_size(sig->params[i]));
  wa_call_host(h, caller, cells);
  if (sig->result_count == 1) {
    write_result(ret, &cells[0], sig->results[0], 1);
  } else {
    for (uint32_t i = 0; i < sig->result_count; i++)
      write_result((uint8_t *)ret + sig->result_offsets[i], &cells[i], sig->results[i], 0);
  }
}

wasmaot_host_func *wasmaot_host_func_create(const wasmaot_signature *sig, wasmaot_host_callback callback,
                                            void *host_context) {
  wasmaot_host_func *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->closure = ffi_closure_alloc(sizeof(ffi_closure), &h->code);
  if (!h->closure) {
    free(h);
    return NULL;
  }
  h->sig = sig;
  h->callback = callback;
  h->host_context = host_context;
  if (ffi_prep_closure_loc(h->closure, (ffi_cif *)&sig->cif, closure_entry, h, h->code) != FFI_OK) {
    ffi_closure_free(h->closure);
    free(h);
    return NULL;
  }
  return h;
}

const void *wasmaot_host_func_code(const wasmaot_host_func *h) { return h->code; }

void wasmaot_host_func_free(wasmaot_host_func *h) {
  if (!h) return;
  ffi_closure_free(h->closure);
  free(h);
}

uintptr_t wasmaot_object_base(uintptr_t address) {
  Dl_info info;
  if (dladdr((void *)address, &info) == 0) return 0;
  return (uintptr_t)info.dli_fbase;
}

int wasmaot_anonymous_file(const char *name) { return memfd_create(name, MFD_CLOEXEC); }
