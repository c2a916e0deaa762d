/*
 * wasmaot_guest.h — the guest side of WasmAOT's host interface, for C and C++ compiled to
 * WebAssembly (clang or `zig cc --target=wasm32-wasi`). A host passes data in the way
 * `Instance.call(_:passing:returning:freeingResult:)` does: it asks the guest's allocator for
 * memory, copies the bytes in, calls an export with (pointer, length), reads the result back and
 * frees what it allocated. This header gives the guest what that needs:
 *
 *   WASMAOT_EXPORT_ALLOCATOR()           exports the C library's malloc and free as "malloc"
 *                                        and "free" (write it once, at file scope)
 *   WASMAOT_EXPORT(name)                 exports a function under `name`
 *   WASMAOT_IMPORT(module, name)         declares a function the host provides
 *   wasmaot_bytes / wasmaot_return(p, n) a (pointer, length) result, read by the host with
 *                                        `returning: .record` (and freed with `freeingResult`)
 *
 * Example (the host calls it with `instance.call("shout", passing: [bytes], returning: .record,
 * freeingResult: true)` and provides `host.log` as `HostFunction { (caller: Caller, p: Int32,
 * n: Int32) in … }`):
 *
 *   #include "wasmaot_guest.h"
 *   WASMAOT_EXPORT_ALLOCATOR()
 *   WASMAOT_IMPORT(host, log) void host_log(const char *text, size_t length);
 *
 *   WASMAOT_EXPORT(shout) wasmaot_bytes *shout(const char *text, size_t length) {
 *     char *out = malloc(length + 1);
 *     for (size_t i = 0; i < length; i++) out[i] = toupper((unsigned char)text[i]);
 *     out[length] = '!';
 *     host_log(out, length + 1);
 *     return wasmaot_return(out, length + 1);
 *   }
 */
#ifndef WASMAOT_GUEST_H
#define WASMAOT_GUEST_H

#include <stddef.h>
#include <stdlib.h>

#if !defined(__wasm__)
#error "wasmaot_guest.h is for code compiled to WebAssembly"
#endif

#ifdef __cplusplus
#define WASMAOT_GUEST_LINKAGE extern "C"
#else
#define WASMAOT_GUEST_LINKAGE
#endif

/* Exports a function under `name` (kept even if nothing in the module calls it). */
#define WASMAOT_EXPORT(name) WASMAOT_GUEST_LINKAGE __attribute__((export_name(#name), used))
/* A function the host provides as import `module`.`name`. */
#define WASMAOT_IMPORT(module, name) WASMAOT_GUEST_LINKAGE __attribute__((import_module(#module), import_name(#name)))

/* The guest's allocator as the host's GuestAllocator finds it: "malloc" (size) -> pointer and
 * "free" (pointer). The C library's own, so the host and the guest free each other's blocks. */
#define WASMAOT_EXPORT_ALLOCATOR()                                                        \
  WASMAOT_EXPORT(malloc) void *wasmaot_guest_malloc(size_t size) { return malloc(size); } \
  WASMAOT_EXPORT(free) void wasmaot_guest_free(void *block) { free(block); }

/* A (pointer, length) result: two 32-bit words on wasm32, two 64-bit words on wasm64, as the
 * host reads a `.record`. */
typedef struct wasmaot_bytes {
  void *data;
  size_t length;
} wasmaot_bytes;

/* The record for `data` and `length`, in storage that lives until the next call of this function
 * (the host reads it as soon as the export returns). Not for threads sharing one instance. */
static inline wasmaot_bytes *wasmaot_return(void *data, size_t length) {
  static wasmaot_bytes record;
  record.data = data;
  record.length = length;
  return &record;
}

#endif /* WASMAOT_GUEST_H */
