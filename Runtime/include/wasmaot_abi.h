/*
 * wasmaot_abi.h — THE binary interface between generated code, the C runtime
 * and the Swift loader. It is defined here once; the compiler embeds this very
 * file into every translation unit it emits (see src/headers.c), and the
 * runtime and loader are compiled against it. Any change to a struct below,
 * a field order, a trap code or a calling convention bumps WASMAOT_ABI_VERSION.
 *
 * Calling convention of every wasm function (defined, imported, in a table):
 *
 *     R fn(wasmaot_instance *ctx, P0 p0, P1 p1, ...)
 *
 *   i32 → uint32_t   i64 → uint64_t   f32 → float   f64 → double
 *   funcref → const wasmaot_funcref *   externref → void *   (NULL is ref.null)
 *   v128 → wasmaot_v128 (two 64-bit words, so libffi can describe it: a C
 *   vector type would travel in a vector register, which libffi cannot express)
 *   R is void (no result), the single result's type, or for several results
 *   a struct { T0 r0; T1 r1; ... } with natural C layout.
 *
 * `ctx` is the callee's instance (for a host function: the importing instance).
 * Generated code reaches the runtime only through `ctx->rt` (no undefined
 * symbols for the dynamic linker to resolve) and reaches imports only through
 * `ctx->funcs`.
 *
 * Crossing the boundary without libffi. A compiled module also carries
 *   - an entry per function type its funcrefs may have,
 *       void entry(const void *fn, wasmaot_instance *ctx, wasmaot_value *cells)
 *     which calls `fn` with the parameters in cells[0..] and stores its results
 *     back into cells[0..]: the host calls wasm through it (wasmaot_call);
 *   - a host thunk per imported function, with that import's calling convention,
 *     which stores its parameters in cells and calls rt->call_host(ctx, import,
 *     cells): the loader binds an import to a host function by putting the
 *     thunk in ctx->funcs and the host function in ctx->host_funcs.
 * libffi remains for what no module describes (a host function called from
 * the host, a type no loaded module has an entry for).
 *
 * Memory map of one linear memory (32-bit index space):
 *
 *   base                                     base+size        base+8GiB+64KiB
 *   |<---------- accessible (RW) ------------>|<--- reserved, PROT_NONE --->|
 *
 * The reservation covers any u32 address + any u32 offset + access width, so
 * generated code needs no bounds check: a stray access faults in the guard
 * region and the runtime's signal handler turns it into a trap. `base` never
 * moves: memory.grow only changes protections. A 64-bit memory (memory64) has
 * the same reservation and at most WASMAOT_MAX_PAGES pages, but no guard region
 * can cover a 64-bit address: its accesses are always checked explicitly.
 * Service arguments that are addresses, sizes or counts are 64-bit, so that one
 * service serves 32- and 64-bit memories and tables.
 *
 * Tail calls (return_call*): a function whose body makes tail calls also gets a
 * tail entry, `R fn_tail(wasmaot_instance *ctx)`, which reads its parameters
 * from `ctx->tail_args` (cell i holds parameter i) before anything else; its
 * ordinary entry stores them there and calls it. All tail entries of one result
 * type R have the same C prototype, so a tail call to one is a guaranteed
 * (`musttail`) jump whatever the parameter lists: the caller stores the
 * arguments in the callee instance's `tail_args` and jumps. A funcref's `tail`
 * is that entry (NULL for functions without one and for host functions: a tail
 * call to those is an ordinary call, which ends the chain, so the stack stays
 * bounded).
 *
 * The native stack: generated code runs on the calling thread's stack with no
 * check of its own (wasm calls take stack, except the tail calls above). It is
 * compiled with stack-clash protection, so a frame touches every page it
 * allocates, and exhaustion faults in the thread's guard region, which the
 * signal handler turns into a trap. Code that must not be abandoned half-way
 * — host functions, the runtime's services — first checks that the thread
 * still has its reserve and traps otherwise.
 */
#ifndef WASMAOT_ABI_H
#define WASMAOT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define WASMAOT_ABI_VERSION 11u
/* "WAOT" little-endian: first field of the root symbol. */
#define WASMAOT_MODULE_MAGIC 0x544F4157u
/* Name of the one root data symbol of a compiled module. */
#define WASMAOT_ROOT_SYMBOL "wasmaot_module"
/* ELF section holding the metadata blob (read from the file before dlopen). */
#define WASMAOT_METADATA_SECTION ".wasmaot_meta"

/* The most parameters, and the most results, a function type may have in this runtime.
 * The loader refuses a module with a larger type: calls from the host describe the
 * signature to libffi in fixed-size arrays (wasmaot_signature, wasmaot_invoke's argument
 * and result buffers), sized by this constant. WebAssembly sets no limit of its own. */
#define WASMAOT_MAX_ARITY 256u

#define WASMAOT_PAGE_SIZE 65536u
#define WASMAOT_MAX_PAGES 65536u
/* Bytes reserved per 32-bit memory: 4 GiB address + 4 GiB offset + guard. */
#define WASMAOT_MEMORY_RESERVATION ((uint64_t)8 << 30 | (uint64_t)WASMAOT_PAGE_SIZE)

/* Value type codes: the binary format's own. */
enum {
  WASMAOT_I32 = 0x7F,
  WASMAOT_I64 = 0x7E,
  WASMAOT_F32 = 0x7D,
  WASMAOT_F64 = 0x7C,
  WASMAOT_V128 = 0x7B,
  WASMAOT_FUNCREF = 0x70,
  WASMAOT_EXTERNREF = 0x6F,
  WASMAOT_EXNREF = 0x69,
};

/* Why execution stopped. The Swift loader maps each code to a `TrapKind` (a test checks that
 * every code from 1 to WASMAOT_TRAP_COUNT - 1 has its own kind). */
typedef enum wasmaot_trap_kind {
  WASMAOT_TRAP_NONE = 0,
  WASMAOT_TRAP_UNREACHABLE = 1,
  WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS = 2,
  WASMAOT_TRAP_DIVIDE_BY_ZERO = 3,
  WASMAOT_TRAP_INTEGER_OVERFLOW = 4,
  WASMAOT_TRAP_INVALID_CONVERSION = 5,
  WASMAOT_TRAP_INDIRECT_CALL_TYPE_MISMATCH = 6,
  WASMAOT_TRAP_UNDEFINED_ELEMENT = 7,     /* call_indirect index ≥ table size */
  WASMAOT_TRAP_UNINITIALIZED_ELEMENT = 8, /* call_indirect on a null entry */
  WASMAOT_TRAP_STACK_EXHAUSTED = 9,
  WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS = 10,
  WASMAOT_TRAP_NULL_REFERENCE = 11,
  WASMAOT_TRAP_HOST = 12,                    /* a host function failed; the loader holds the error */
  WASMAOT_TRAP_EXIT = 13,                    /* a host function asked to exit (e.g. WASI proc_exit) */
  WASMAOT_TRAP_INTERRUPTED = 14,             /* the host interrupted the instance (interruptible code only) */
  WASMAOT_TRAP_EXCEPTION = 15,               /* a wasm exception left the call uncaught (wasmaot_last_exception), or a
                                              * host callback's status: it throws wasmaot_set_pending_exception's */
  WASMAOT_TRAP_NULL_FUNCTION_REFERENCE = 16, /* call_ref or return_call_ref of null */
  WASMAOT_TRAP_COUNT
} wasmaot_trap_kind;

/* What generated code passes to rt->trap: the kind in the low 8 bits, the
 * wasm function index of the trap site plus one above (0: unknown). */
#define WASMAOT_TRAP_CODE(kind, function) ((uint32_t)(kind) | ((uint32_t)(function) + 1u) << 8)

typedef struct wasmaot_instance wasmaot_instance;
/* A host function as the runtime calls it (see wasmaot_runtime.h). */
typedef struct wasmaot_host_func wasmaot_host_func;

/* A function reference. Tables, ref.func and the import table hold these.
 * Immutable once published. */
typedef struct wasmaot_funcref {
  const void *fn; /* native code with the calling convention above */
  wasmaot_instance *ctx;
  uint32_t type_id;    /* process-wide interned function type */
  uint32_t func_index; /* index in the defining module (for backtraces) */
  const void *tail;    /* the tail entry (see above), or NULL */
} wasmaot_funcref;

typedef struct wasmaot_memory {
  uint8_t *base;      /* start of the reservation; never moves */
  uint64_t size;      /* accessible bytes (a multiple of the page size) */
  uint64_t max_pages; /* declared maximum, or WASMAOT_MAX_PAGES */
  uint64_t reserved;  /* bytes reserved at base */
} wasmaot_memory;

typedef struct wasmaot_table {
  void **elements; /* funcref: const wasmaot_funcref *, externref: opaque; NULL = null */
  uint32_t size;
  uint32_t max;      /* declared maximum, or UINT32_MAX */
  uint32_t capacity; /* allocated elements */
  uint8_t elem_type; /* WASMAOT_FUNCREF or WASMAOT_EXTERNREF */
  uint8_t _pad[3];
} wasmaot_table;

/* A v128 parameter or result: bytes 0..7 (lanes in little-endian order) in lo. */
typedef struct wasmaot_v128 {
  uint64_t lo, hi;
} wasmaot_v128;

/* A global's storage cell. Imported and exported globals share the cell. */
typedef union wasmaot_value {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  void *ref;
  uint8_t v128[16];
} wasmaot_value;

/* The entry of a function type (see above). */
typedef void (*wasmaot_entry)(const void *fn, wasmaot_instance *ctx, wasmaot_value *cells);

/* An exception tag. Its identity is its address: a catch clause compares the
 * thrown exception's tag with ctx->tags[i]. Imported tags share the object.
 * Made by wasmaot_tag_create and reference-counted (wasmaot_runtime.h): the host's
 * tag object holds one reference and every exception of the tag another, so a tag
 * lives as long as any exception of it, also after its host object is gone. */
typedef struct wasmaot_tag {
  uint32_t type_id; /* interned function type of the payload (no results) */
  uint32_t refs;    /* runtime-private, atomic */
  uint64_t _reserved;
} wasmaot_tag;

/* A wasm exception (the object an exnref points to). Allocated by the runtime;
 * generated code reads `tag` and `payload` and writes the payload of a new one.
 * Lifetime (see docs/architecture.md, "Exceptions"): freed when caught by a
 * catch clause that does not keep a reference, else when the thread's outermost
 * wasm call returns, unless pinned (stored in a global or table, or handed to the host). */
typedef struct wasmaot_exception {
  const wasmaot_tag *tag;
  struct wasmaot_exception *next, *prev; /* runtime-private: the thread's live exceptions */
  uint32_t count;                        /* payload values */
  uint32_t state;                        /* runtime-private */
  wasmaot_value payload[];
} wasmaot_exception;

/* A handler of generated code for one try_table (or legacy try) being executed:
 * on the C stack of its function, linked by rt->try_enter into the thread's chain,
 * unlinked by rt->try_leave (or by the throw that lands in it). */
typedef struct wasmaot_handler {
  void *jump[5]; /* __builtin_setjmp buffer */
  struct wasmaot_handler *previous;
  uint32_t held; /* runtime-private: the thread's held exceptions when it was linked */
  uint32_t _pad;
} wasmaot_handler;

/* Services generated code calls, all through ctx->rt. Bulk operations check
 * bounds before writing anything and trap (never return) on failure. */
typedef struct wasmaot_runtime {
  uint32_t abi_version;
  uint32_t size;                                                                /* sizeof(wasmaot_runtime) */
  __attribute__((noreturn)) void (*trap)(wasmaot_instance *ctx, uint32_t code); /* WASMAOT_TRAP_CODE */
  /* Returns the old size in pages, or UINT64_MAX if the memory cannot grow. */
  uint64_t (*memory_grow)(wasmaot_instance *ctx, uint32_t memory, uint64_t delta_pages);
  /* memory.fill / memory.copy check their ranges inline (wasmaot_ops.h) and move
   * the bytes with the host C library's routines, reached through these. */
  void *(*fill_bytes)(void *dst, int value, size_t n);       /* memset */
  void *(*move_bytes)(void *dst, const void *src, size_t n); /* memmove */
  void (*memory_init)(wasmaot_instance *ctx, uint32_t memory, uint32_t segment, uint64_t dst, uint32_t src, uint32_t n);
  void (*data_drop)(wasmaot_instance *ctx, uint32_t segment);
  void (*table_init)(wasmaot_instance *ctx, uint32_t table, uint32_t segment, uint64_t dst, uint32_t src, uint32_t n);
  void (*elem_drop)(wasmaot_instance *ctx, uint32_t segment);
  void (*table_copy)(wasmaot_instance *ctx, uint32_t dst_table, uint32_t src_table, uint64_t dst, uint64_t src,
                     uint64_t n);
  /* Returns the old size, or UINT64_MAX if the table cannot grow. */
  uint64_t (*table_grow)(wasmaot_instance *ctx, uint32_t table, void *init, uint64_t delta);
  void (*table_fill)(wasmaot_instance *ctx, uint32_t table, uint64_t dst, void *value, uint64_t n);
  /* Exceptions: link a handler (before its __builtin_setjmp) and unlink it and
   * every handler linked after it (leaving its try normally or by a branch). */
  void (*try_enter)(wasmaot_handler *handler);
  void (*try_leave)(wasmaot_handler *handler);
  /* A new exception of `tag` with room for `count` payload values, to fill and throw. */
  wasmaot_exception *(*exception_new)(const wasmaot_tag *tag, uint32_t count);
  /* Throws `exception` (not NULL) to the innermost handler of this wasm call:
   * __builtin_longjmp there, or back to wasmaot_invoke if there is none. */
  __attribute__((noreturn)) void (*throw_exception)(wasmaot_exception *exception);
  /* At a handler: the exception that landed there. */
  wasmaot_exception *(*caught)(void);
  /* A catch clause consumed the exception (it keeps no exnref to it): free it
   * unless an exnref to it was ever taken. */
  void (*exception_done)(wasmaot_exception *exception);
  /* An exnref to the exception was taken (catch_ref): it lives until the thread's outermost wasm call returns. */
  void (*exception_keep)(wasmaot_exception *exception);
  /* An exnref is stored where it outlives the wasm call (a global or a table): never freed. */
  void (*exception_pin)(void *exception);
  /* A legacy catch clause starts (hold) and is left other than by a throw (leave, innermost
   * first): the exception stays alive while a clause holds it (a throw that lands in a handler
   * releases the holds of the clauses it left). */
  void (*exception_hold)(wasmaot_exception *exception);
  void (*catch_leave)(wasmaot_exception *exception);
  /* A host thunk (see above): calls ctx->host_funcs[import] with its parameters in
   * `cells` and returns with its results there, or traps or throws as it asks. */
  void (*call_host)(wasmaot_instance *ctx, uint32_t import, wasmaot_value *cells);
} wasmaot_runtime;

/* A passive segment's bytes (data) or references (elements); dropped = length 0. */
typedef struct wasmaot_segment {
  const void *items; /* data: bytes; element: void *[] */
  uint64_t length;   /* bytes for data, entries for elements */
} wasmaot_segment;

/* The instance: everything generated code reads, at fixed offsets. The arrays
 * are index spaces (imports first) owned by the loader. */
struct wasmaot_instance {
  const wasmaot_runtime *rt;
  wasmaot_memory **memories;
  wasmaot_table **tables;
  wasmaot_value **globals;
  wasmaot_funcref *funcs;   /* imports first, then defined functions (fn NULL where the module gives no code) */
  const uint32_t *type_ids; /* module type index → interned type id */
  wasmaot_segment *data_segments;
  wasmaot_segment *elem_segments;
  void *host;         /* owned by the loader */
  uint8_t *memory0;   /* memories[0]->base (it never moves), NULL without memory:
                       * one load instead of two at the entry of every function */
  uint32_t interrupt; /* nonzero: the host asked the instance to stop. Written by any
                       * thread with __atomic stores; code compiled interruptible
                       * reads it at every function entry and loop head and traps
                       * (WASMAOT_TRAP_INTERRUPTED) while it is set */
  uint32_t _pad;
  /* Parameters passed to a tail entry (see above), one cell each; as many cells as the
   * module's tail entries take at most. NULL when the module has no tail entries. Only
   * live between a tail call's stores and the callee's first reads. */
  wasmaot_value *tail_args;
  const wasmaot_tag **tags; /* imports first, then defined tags */
  /* Per imported function: the host function its host thunk calls (NULL for an import bound
   * to wasm code, which ctx->funcs calls directly). */
  wasmaot_host_func *const *host_funcs;
};

/* The root symbol WASMAOT_ROOT_SYMBOL of a compiled module. */
typedef struct wasmaot_module_desc {
  uint32_t magic;          /* WASMAOT_MODULE_MAGIC */
  uint32_t abi_version;    /* WASMAOT_ABI_VERSION the code was compiled against */
  const uint8_t *metadata; /* the same bytes as the WASMAOT_METADATA_SECTION section */
  uint64_t metadata_size;
  const void *const *functions; /* code of each defined function, in index order; NULL for a
                                 * function no funcref can name (not exported, not the start
                                 * function, in no element segment or global initializer).
                                 * With WASMAOT_MODULE_TAIL_ENTRIES, function_count more
                                 * follow: each one's tail entry, or NULL */
  uint32_t function_count;
  uint32_t flags; /* WASMAOT_MODULE_* */
  /* Per type of the module's type section: its entry (see above), or NULL where no
   * function the host may call has that type. */
  const wasmaot_entry *entries;
  /* Per imported function: its host thunk. */
  const void *const *host_thunks;
} wasmaot_module_desc;

/* wasmaot_module_desc.flags: the code polls `interrupt` (wasmaot compile --interruptible). */
#define WASMAOT_MODULE_INTERRUPTIBLE 1u
/* wasmaot_module_desc.flags: `functions` continues with the tail entries (the module makes tail calls). */
#define WASMAOT_MODULE_TAIL_ENTRIES 2u

/* Layout assertions: generated code, runtime and loader must agree. */
#define WASMAOT_ASSERT_LAYOUT(cond, what) _Static_assert(cond, "wasmaot ABI layout: " what)
WASMAOT_ASSERT_LAYOUT(sizeof(void *) == 8, "64-bit targets only");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_funcref) == 32, "funcref size");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_funcref, ctx) == 8, "funcref.ctx");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_funcref, type_id) == 16, "funcref.type_id");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_funcref, tail) == 24, "funcref.tail");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_memory) == 32, "memory size");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_memory, size) == 8, "memory.size");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_table) == 24, "table size");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_table, size) == 8, "table.size");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_value) == 16, "value cell size");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_v128) == 16 && offsetof(wasmaot_v128, hi) == 8, "v128 layout");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_runtime, trap) == 8, "runtime.trap");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_runtime) == 8 + 22 * 8, "runtime size");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_runtime, call_host) == 8 + 21 * 8, "runtime.call_host");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_runtime, try_enter) == 8 + 11 * 8, "runtime.try_enter");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_tag) == 16, "tag size");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_exception, count) == 24 && sizeof(wasmaot_exception) == 32, "exception layout");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_exception, payload) == 32, "exception.payload");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_handler) == 56, "handler size");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_segment) == 16, "segment size");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, memories) == 8, "instance.memories");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, funcs) == 32, "instance.funcs");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, memory0) == 72, "instance.memory0");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, interrupt) == 80, "instance.interrupt");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, tail_args) == 88, "instance.tail_args");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, tags) == 96, "instance.tags");
WASMAOT_ASSERT_LAYOUT(offsetof(struct wasmaot_instance, host_funcs) == 104, "instance.host_funcs");
WASMAOT_ASSERT_LAYOUT(sizeof(struct wasmaot_instance) == 112, "instance size");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_module_desc, flags) == 36, "module descriptor.flags");
WASMAOT_ASSERT_LAYOUT(offsetof(wasmaot_module_desc, entries) == 40, "module descriptor.entries");
WASMAOT_ASSERT_LAYOUT(sizeof(wasmaot_module_desc) == 56, "module descriptor size");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wasmaot: little-endian hosts only (linear memory is accessed in place)"
#endif

#endif /* WASMAOT_ABI_H */
