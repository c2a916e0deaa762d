/*
 * wasmaot_runtime.h — the host side of the C runtime, used by the Swift
 * loader: memories, tables, entering wasm (with traps caught in C, so that a
 * longjmp never crosses a Swift frame), host functions as native function
 * pointers (libffi closures), and the embedded code-generation headers.
 */
#ifndef WASMAOT_RUNTIME_H
#define WASMAOT_RUNTIME_H

#include "wasmaot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The service table every instance's `rt` points to. */
const wasmaot_runtime *wasmaot_runtime_services(void);

/* Sets (nonzero) or clears an instance's interrupt flag; any thread, async-signal-safe.
 * While it is set, code compiled interruptible traps with WASMAOT_TRAP_INTERRUPTED
 * at its next function entry or loop head (code that is not ignores the flag). */
void wasmaot_set_interrupt(wasmaot_instance *ctx, uint32_t value);

/* ---- signatures -------------------------------------------------------------
 * A native call signature (libffi cif) for a wasm function type. Immutable,
 * shareable between threads; the loader caches one per function type. */
typedef struct wasmaot_signature wasmaot_signature;
wasmaot_signature *wasmaot_signature_create(const uint8_t *params, uint32_t param_count, const uint8_t *results,
                                            uint32_t result_count);
void wasmaot_signature_free(wasmaot_signature *sig);

/* ---- memories ------------------------------------------------------------------ */
/* Reserves WASMAOT_MEMORY_RESERVATION bytes and makes `min_pages` accessible
 * (zeros). Returns NULL (with errno) on failure. Reservations are pooled: a
 * freed memory is reset and kept for the next one (see memory.c). They are
 * 2 MiB-aligned; pages past the initial size are advised for transparent huge
 * pages, the initial ones against (WASMAOT_HUGE_PAGES=0: no advice). */
wasmaot_memory *wasmaot_memory_create(uint64_t min_pages, uint64_t max_pages);
void wasmaot_memory_free(wasmaot_memory *memory);
/* Old size in pages, or UINT32_MAX. */
uint32_t wasmaot_memory_grow(wasmaot_memory *memory, uint64_t delta_pages);

/* A memory's initial contents (its active data segments applied): the host
 * pages the segments touch, kept in an in-memory file and mapped copy-on-write
 * into each new instance's memory. Instantiation costs at most 16 mmaps
 * whatever the amount of data, pages are copied only when written, and pages
 * no segment touches are never part of the image. Immutable and shareable
 * once created. */
typedef struct wasmaot_memory_image wasmaot_memory_image;
/* `length` bytes at `offset` in the memory. */
typedef struct {
  uint64_t offset;
  const uint8_t *bytes;
  uint64_t length;
} wasmaot_image_segment;
/* The segments applied in order (a later one wins where they overlap), zeros
 * elsewhere; NULL (with errno) on failure. */
wasmaot_memory_image *wasmaot_memory_image_create(const wasmaot_image_segment *segments, uint32_t count);
/* The creator's release; memories still mapping the image keep it alive. */
void wasmaot_memory_image_free(wasmaot_memory_image *image);
/* A memory whose first bytes are the image's, the rest zeros (the image must
 * fit in `min_pages`). A memory of the same image and size freed earlier is
 * reused as it is, already reset: no system call. NULL (with errno) on failure. */
wasmaot_memory *wasmaot_memory_create_with_image(uint64_t min_pages, uint64_t max_pages, wasmaot_memory_image *image);

/* ---- tables ---------------------------------------------------------------------- */
wasmaot_table *wasmaot_table_create(uint32_t min, uint32_t max, uint8_t elem_type);
void wasmaot_table_free(wasmaot_table *table);
uint32_t wasmaot_table_grow(wasmaot_table *table, uint32_t delta, void *init);

/* ---- calling into wasm -------------------------------------------------------------
 * Calls `fn` (calling convention of wasmaot_abi.h) with `ctx` and the
 * arguments in `args` (one cell per parameter); results are stored one cell
 * per result. Returns WASMAOT_TRAP_NONE, or the trap kind if the call trapped
 * (then wasmaot_last_trap() tells more). Safe to nest (host → wasm → host →
 * wasm). */
uint32_t wasmaot_invoke(wasmaot_instance *ctx, const void *fn, const wasmaot_signature *sig, const wasmaot_value *args,
                        wasmaot_value *results);
/* The same through a module's entry for fn's type (wasmaot_abi.h), without libffi:
 * `cells` holds the arguments and receives the results (max(params, results) cells).
 * `exnrefs` lists the `exnref_count` results that are exnrefs (the host keeps them). */
uint32_t wasmaot_call(wasmaot_instance *ctx, const void *fn, wasmaot_entry entry, wasmaot_value *cells,
                      const uint32_t *exnrefs, uint32_t exnref_count);

#define WASMAOT_MAX_BACKTRACE 64
typedef struct wasmaot_trap_info {
  uint32_t kind;
  uint32_t frame_count;
  uint32_t function;                       /* explicit traps: wasm function index + 1 of the site; 0 unknown */
  wasmaot_instance *instance;              /* explicit traps: the trapping function's instance */
  uintptr_t fault_address;                 /* for faults: the address accessed */
  uintptr_t frames[WASMAOT_MAX_BACKTRACE]; /* return addresses, innermost first */
} wasmaot_trap_info;
/* The calling thread's last trap. */
const wasmaot_trap_info *wasmaot_last_trap(void);

/* ---- exceptions ------------------------------------------------------------------------
 * The exception that made the calling thread's last wasmaot_invoke return
 * WASMAOT_TRAP_EXCEPTION: read it before the thread calls into wasm again. */
const wasmaot_exception *wasmaot_last_exception(void);
/* A new tag of the interned payload type `type_id`, holding one reference (NULL when out of memory). */
wasmaot_tag *wasmaot_tag_create(uint32_t type_id);
/* Another reference to a tag (any thread). */
void wasmaot_tag_retain(wasmaot_tag *tag);
/* Drops a reference (any thread); the last one frees the tag. */
void wasmaot_tag_release(wasmaot_tag *tag);
/* A new exception of `tag` with room for `count` payload values (NULL when out of memory);
 * it holds a reference to the tag until it is freed. */
wasmaot_exception *wasmaot_exception_create(const wasmaot_tag *tag, uint32_t count);
/* A host callback that returns WASMAOT_TRAP_EXCEPTION throws `exception` (from
 * wasmaot_exception_create) into its wasm caller: set it just before returning. */
void wasmaot_set_pending_exception(wasmaot_exception *exception);
/* The host keeps an exnref: the exception is never freed. */
void wasmaot_exception_pin(void *exception);
/* How many exceptions the calling thread keeps alive (not pinned): for tests and diagnostics. */
uint32_t wasmaot_live_exception_count(void);

/* ---- host functions -------------------------------------------------------------------
 * A host callback receives the parameters in `cells` and writes the results
 * into the same cells (there are max(params, results) of them). It returns 0,
 * or a trap kind (WASMAOT_TRAP_HOST, WASMAOT_TRAP_EXIT, ...) to stop the wasm
 * caller; the callback itself must not longjmp or throw. */
typedef uint32_t (*wasmaot_host_callback)(void *host_context, wasmaot_instance *caller, wasmaot_value *cells);
/* A native function pointer with the wasm calling convention that calls `callback` (a libffi
 * closure: imports reach the callback through their module's host thunks instead). */
wasmaot_host_func *wasmaot_host_func_create(const wasmaot_signature *sig, wasmaot_host_callback callback,
                                            void *host_context);
const void *wasmaot_host_func_code(const wasmaot_host_func *func);
void wasmaot_host_func_free(wasmaot_host_func *func);

/* ---- signal handling -----------------------------------------------------------------
 * Installs (once per process) the SIGSEGV/SIGBUS handler that turns faults in
 * guard regions into traps and chains to the previous handler otherwise. Also
 * done implicitly by wasmaot_memory_create and wasmaot_invoke. */
void wasmaot_install_signal_handlers(void);

/* An anonymous in-memory file (memfd, close-on-exec) for captured or
 * scripted standard streams of WASI programs; -1 with errno on failure. */
int wasmaot_anonymous_file(const char *name);

/* Load address of the shared object containing `address`, or 0 (dladdr). */
uintptr_t wasmaot_object_base(uintptr_t address);

/* ---- code generation ----------------------------------------------------------------
 * The exact text of wasmaot_abi.h and of the inline-helper headers (scalar
 * and v128) the compiler writes next to every generated C file. */
const char *wasmaot_abi_header_text(void);
const char *wasmaot_ops_header_text(void);
const char *wasmaot_simd_header_text(void);

/* The GNU build id of the loaded executable or shared library containing
 * `address`, at most `capacity` bytes into `out`; returns its length, 0 if the
 * object has none (or `address` is in no loaded object). */
size_t wasmaot_build_id(const void *address, uint8_t *out, size_t capacity);

#ifdef __cplusplus
}
#endif
#endif /* WASMAOT_RUNTIME_H */
