/*
 * wasmaot_ops.h — the inline helpers every generated translation unit uses:
 * exact WebAssembly semantics for the operations C does not give directly
 * (trapping division and truncation, NaN-aware min/max, rotations, loads and
 * stores at any alignment). Embedded by the compiler next to wasmaot_abi.h;
 * never pasted into the generated file itself. Nothing here relies on
 * undefined behaviour: arithmetic is unsigned, shifts are masked, memory is
 * accessed with memcpy, floats are reinterpreted with memcpy.
 */
#ifndef WASMAOT_OPS_H
#define WASMAOT_OPS_H

#include "wasmaot_abi.h"
#include <string.h>

#define WA_LIKELY(x)   __builtin_expect(!!(x), 1)
#define WA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WA_INLINE      static inline __attribute__((always_inline))
/* A v128 of the calling convention in a cell (the entries and host thunks of wasmaot_abi.h). */
WA_INLINE wasmaot_v128 wa_abi_v128_from_cell(const wasmaot_value *cell) {
  wasmaot_v128 v;
  memcpy(&v, cell->v128, sizeof v);
  return v;
}
WA_INLINE void wa_abi_v128_to_cell(wasmaot_value *cell, wasmaot_v128 v) { memcpy(cell->v128, &v, sizeof v); }
/* Operand-stack slots: folding operands into expressions may leave one unread. */
#define WA_SLOT __attribute__((unused))
/* A tail call between tail entries (wasmaot_abi.h): a jump at every -O level. */
#define WA_MUSTTAIL __attribute__((musttail))

/* Inlined at every trap site, so that the only code of a compiled module is
 * its wasm functions and a return address in it always names one of them.
 * Helpers that can trap take `fn`, the wasm function index of the trap site
 * (every generated function defines it as WA_FN), so that the trap names the
 * function even when clang moves the trap path out of line. */
__attribute__((noreturn)) WA_INLINE void wa_trap(wasmaot_instance *ctx, uint32_t fn, uint32_t kind) {
  ctx->rt->trap(ctx, WASMAOT_TRAP_CODE(kind, fn));
  __builtin_unreachable();
}

/* throw_ref: a null exnref traps; the exception keeps its identity. */
__attribute__((noreturn)) WA_INLINE void wa_throw_ref(wasmaot_instance *ctx, uint32_t fn, void *exception) {
  if (WA_UNLIKELY(!exception)) wa_trap(ctx, fn, WASMAOT_TRAP_NULL_REFERENCE);
  ctx->rt->throw_exception((wasmaot_exception *)exception);
  __builtin_unreachable();
}

/* Code compiled interruptible (wasmaot compile --interruptible) polls the
 * instance's flag at every function entry and loop head, so that no loop and
 * no call tree runs on once the host has set it. The relaxed atomic load is
 * repeated on every pass (clang may not hoist it out of a loop). */
#define WA_POLL()                                                        \
  do {                                                                   \
    if (WA_UNLIKELY(__atomic_load_n(&ctx->interrupt, __ATOMIC_RELAXED))) \
      wa_trap(ctx, WA_FN, WASMAOT_TRAP_INTERRUPTED);                     \
  } while (0)

/* The module's metadata in section WASMAOT_METADATA_SECTION, from the file the
 * compiler wrote beside the C (`path`: a string literal holding the path as the
 * assembler reads it, quotes and backslashes escaped), as the hidden symbol
 * `wa_metadata`: the assembler includes the bytes, so no C array literal of
 * megabytes has to be parsed. */
#define WA_EMBED_METADATA(path)                               \
  __asm__(".pushsection " WASMAOT_METADATA_SECTION ",\"a\"\n" \
          ".balign 16\n"                                      \
          "wa_metadata:\n"                                    \
          ".incbin \"" path "\"\n"                            \
          ".popsection\n");                                   \
  extern const uint8_t wa_metadata[] __asm__("wa_metadata") __attribute__((visibility("hidden")))

/* ---- reinterpretation ---------------------------------------------------- */
WA_INLINE float wa_f32_from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}
WA_INLINE double wa_f64_from_bits(uint64_t b) {
  double f;
  memcpy(&f, &b, 8);
  return f;
}
WA_INLINE uint32_t wa_f32_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
WA_INLINE uint64_t wa_f64_bits(double f) {
  uint64_t b;
  memcpy(&b, &f, 8);
  return b;
}

/* ---- linear memory --------------------------------------------------------
 * Addresses are u32 + u32 offset in a 64-bit sum: always inside the
 * reservation. The empty asm keeps a dead load alive so that it still traps. */
#if defined(__aarch64__)
#define WA_FP_REG "w"
#else
#define WA_FP_REG "x"
#endif
#define WA_FORCE_READ(v)           __asm__ volatile("" ::"r"(v))
#define WA_FORCE_READ_F(v)         __asm__ volatile("" ::WA_FP_REG(v))
#define WA_ADDR(mem, addr, offset) ((mem) + (uint64_t)(addr) + (uint64_t)(offset))
/* A store stays where wasm puts it: the empty asm "reads" the n bytes just
 * stored, so clang can neither drop the store (when a later one overwrites
 * them), merge it with its neighbours, nor move it past a later access. Any of
 * those moves a trap past effects wasm says never happened: `store p; store q;
 * store p` with p out of bounds would leave q written after the trap. With the
 * load barriers above, every access happens in program order. */
#define WA_KEEP_STORE(p, n) __asm__ volatile("" ::"m"(*(const struct { unsigned char b[n]; } *)(p)))

/* Explicit bounds checks (`wasmaot compile --bounds explicit`): the end of the
 * access against the memory's size in bytes, which the function keeps in a
 * local and reads again after calls and memory.grow. addr + offset + n < 2^34:
 * no wrap. With the check, a dead load may go: the check alone traps. Nor do
 * checked stores need WA_KEEP_STORE: the trap call may read memory, so clang
 * keeps every store before a later check in place. */
#define WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, n)                                                         \
  do {                                                                                                          \
    if (WA_UNLIKELY((addr) + (offset) + (n) > (size))) wa_trap((ctx), (fn), WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS); \
  } while (0)

/* name(mem, addr, offset) relies on the guard pages; name_checked(ctx, fn,
 * size, mem, addr, offset) checks explicitly. */
#define WA_DEFINE_LOAD(name, ctype, wtype, force)                                                                      \
  WA_INLINE wtype name(const uint8_t *mem, uint64_t addr, uint64_t offset) {                                           \
    ctype v;                                                                                                           \
    memcpy(&v, WA_ADDR(mem, addr, offset), sizeof v);                                                                  \
    force(v);                                                                                                          \
    return (wtype)v;                                                                                                   \
  }                                                                                                                    \
  WA_INLINE wtype name##_checked(wasmaot_instance *ctx, uint32_t fn, uint64_t size, const uint8_t *mem, uint64_t addr, \
                                 uint64_t offset) {                                                                    \
    WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, sizeof(ctype));                                                       \
    ctype v;                                                                                                           \
    memcpy(&v, WA_ADDR(mem, addr, offset), sizeof v);                                                                  \
    return (wtype)v;                                                                                                   \
  }
WA_DEFINE_LOAD(wa_i32_load, uint32_t, uint32_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load, uint64_t, uint64_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_f32_load, float, float, WA_FORCE_READ_F)
WA_DEFINE_LOAD(wa_f64_load, double, double, WA_FORCE_READ_F)
WA_DEFINE_LOAD(wa_i32_load8_s, int8_t, uint32_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i32_load8_u, uint8_t, uint32_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i32_load16_s, int16_t, uint32_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i32_load16_u, uint16_t, uint32_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load8_s, int8_t, uint64_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load8_u, uint8_t, uint64_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load16_s, int16_t, uint64_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load16_u, uint16_t, uint64_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load32_s, int32_t, uint64_t, WA_FORCE_READ)
WA_DEFINE_LOAD(wa_i64_load32_u, uint32_t, uint64_t, WA_FORCE_READ)

#define WA_DEFINE_STORE(name, ctype, wtype)                                                                     \
  WA_INLINE void name(uint8_t *mem, uint64_t addr, uint64_t offset, wtype value) {                              \
    ctype v = (ctype)value;                                                                                     \
    memcpy(WA_ADDR(mem, addr, offset), &v, sizeof v);                                                           \
    WA_KEEP_STORE(WA_ADDR(mem, addr, offset), sizeof(ctype));                                                   \
  }                                                                                                             \
  WA_INLINE void name##_checked(wasmaot_instance *ctx, uint32_t fn, uint64_t size, uint8_t *mem, uint64_t addr, \
                                uint64_t offset, wtype value) {                                                 \
    WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, sizeof(ctype));                                                \
    ctype v = (ctype)value;                                                                                     \
    memcpy(WA_ADDR(mem, addr, offset), &v, sizeof v);                                                           \
  }
WA_DEFINE_STORE(wa_i32_store, uint32_t, uint32_t)
WA_DEFINE_STORE(wa_i64_store, uint64_t, uint64_t)
WA_DEFINE_STORE(wa_f32_store, float, float)
WA_DEFINE_STORE(wa_f64_store, double, double)
WA_DEFINE_STORE(wa_i32_store8, uint8_t, uint32_t)
WA_DEFINE_STORE(wa_i32_store16, uint16_t, uint32_t)
WA_DEFINE_STORE(wa_i64_store8, uint8_t, uint64_t)
WA_DEFINE_STORE(wa_i64_store16, uint16_t, uint64_t)
WA_DEFINE_STORE(wa_i64_store32, uint32_t, uint64_t)

/* 64-bit memories (memory64): no guard region covers a 64-bit address, so every
 * access is checked against the size kept in a local, without wrapping; then
 * the access helper above runs on the checked address. */
WA_INLINE uint64_t wa_address64(wasmaot_instance *ctx, uint32_t fn, uint64_t size, uint64_t addr, uint64_t offset,
                                uint64_t n) {
  if (WA_UNLIKELY(addr > size || offset > size - addr || n > size - addr - offset))
    wa_trap(ctx, fn, WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS);
  return addr;
}

/* memory.copy and memory.fill: both ranges checked before any byte moves
 * (without wrapping: 64-bit memories pass 64-bit operands), then the C
 * library's routines through the service table. Inline, so a copy costs one
 * indirect call, as in C. */
#define WA_OUT_OF_RANGE(start, n, size) ((n) > (size) || (start) > (size) - (n))
WA_INLINE void wa_memory_copy(wasmaot_instance *ctx, uint32_t fn, uint32_t dst_memory, uint32_t src_memory,
                              uint64_t dst, uint64_t src, uint64_t n) {
  const wasmaot_memory *d = ctx->memories[dst_memory], *s = ctx->memories[src_memory];
  if (WA_UNLIKELY(WA_OUT_OF_RANGE(dst, n, d->size) || WA_OUT_OF_RANGE(src, n, s->size)))
    wa_trap(ctx, fn, WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS);
  ctx->rt->move_bytes(d->base + dst, s->base + src, n);
}
WA_INLINE void wa_memory_fill(wasmaot_instance *ctx, uint32_t fn, uint32_t memory, uint64_t dst, uint32_t value,
                              uint64_t n) {
  const wasmaot_memory *m = ctx->memories[memory];
  if (WA_UNLIKELY(WA_OUT_OF_RANGE(dst, n, m->size))) wa_trap(ctx, fn, WASMAOT_TRAP_MEMORY_OUT_OF_BOUNDS);
  ctx->rt->fill_bytes(m->base + dst, (int)(uint8_t)value, n);
}

/* ---- integers --------------------------------------------------------------- */
WA_INLINE uint32_t wa_i32_clz(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32u; }
WA_INLINE uint32_t wa_i32_ctz(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32u; }
WA_INLINE uint32_t wa_i32_popcnt(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
WA_INLINE uint64_t wa_i64_clz(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64u; }
WA_INLINE uint64_t wa_i64_ctz(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64u; }
WA_INLINE uint64_t wa_i64_popcnt(uint64_t x) { return (uint64_t)__builtin_popcountll(x); }
WA_INLINE uint32_t wa_i32_rotl(uint32_t x, uint32_t n) { return __builtin_rotateleft32(x, n & 31); }
WA_INLINE uint32_t wa_i32_rotr(uint32_t x, uint32_t n) { return __builtin_rotateright32(x, n & 31); }
WA_INLINE uint64_t wa_i64_rotl(uint64_t x, uint64_t n) { return __builtin_rotateleft64(x, n & 63); }
WA_INLINE uint64_t wa_i64_rotr(uint64_t x, uint64_t n) { return __builtin_rotateright64(x, n & 63); }
WA_INLINE uint32_t wa_i32_shr_s(uint32_t x, uint32_t n) { return (uint32_t)((int32_t)x >> (n & 31)); }
WA_INLINE uint64_t wa_i64_shr_s(uint64_t x, uint64_t n) { return (uint64_t)((int64_t)x >> (n & 63)); }
/* Comparison of signed values without converting out-of-range unsigned values. */
#define WA_S32(x) ((int32_t)(x))
#define WA_S64(x) ((int64_t)(x))

WA_INLINE uint32_t wa_i32_div_s(wasmaot_instance *ctx, uint32_t fn, uint32_t a, uint32_t b) {
  if (WA_UNLIKELY(b == 0 || (a == 0x80000000u && b == 0xFFFFFFFFu)))
    wa_trap(ctx, fn, b == 0 ? WASMAOT_TRAP_DIVIDE_BY_ZERO : WASMAOT_TRAP_INTEGER_OVERFLOW);
  return (uint32_t)((int32_t)a / (int32_t)b);
}
WA_INLINE uint32_t wa_i32_div_u(wasmaot_instance *ctx, uint32_t fn, uint32_t a, uint32_t b) {
  if (WA_UNLIKELY(b == 0)) wa_trap(ctx, fn, WASMAOT_TRAP_DIVIDE_BY_ZERO);
  return a / b;
}
WA_INLINE uint32_t wa_i32_rem_s(wasmaot_instance *ctx, uint32_t fn, uint32_t a, uint32_t b) {
  if (WA_UNLIKELY(b == 0)) wa_trap(ctx, fn, WASMAOT_TRAP_DIVIDE_BY_ZERO);
  if (WA_UNLIKELY(b == 0xFFFFFFFFu)) return 0;
  return (uint32_t)((int32_t)a % (int32_t)b);
}
WA_INLINE uint32_t wa_i32_rem_u(wasmaot_instance *ctx, uint32_t fn, uint32_t a, uint32_t b) {
  if (WA_UNLIKELY(b == 0)) wa_trap(ctx, fn, WASMAOT_TRAP_DIVIDE_BY_ZERO);
  return a % b;
}
WA_INLINE uint64_t wa_i64_div_s(wasmaot_instance *ctx, uint32_t fn, uint64_t a, uint64_t b) {
  if (WA_UNLIKELY(b == 0 || (a == 0x8000000000000000ull && b == ~0ull)))
    wa_trap(ctx, fn, b == 0 ? WASMAOT_TRAP_DIVIDE_BY_ZERO : WASMAOT_TRAP_INTEGER_OVERFLOW);
  return (uint64_t)((int64_t)a / (int64_t)b);
}
WA_INLINE uint64_t wa_i64_div_u(wasmaot_instance *ctx, uint32_t fn, uint64_t a, uint64_t b) {
  if (WA_UNLIKELY(b == 0)) wa_trap(ctx, fn, WASMAOT_TRAP_DIVIDE_BY_ZERO);
  return a / b;
}
WA_INLINE uint64_t wa_i64_rem_s(wasmaot_instance *ctx, uint32_t fn, uint64_t a, uint64_t b) {
  if (WA_UNLIKELY(b == 0)) wa_trap(ctx, fn, WASMAOT_TRAP_DIVIDE_BY_ZERO);
  if (WA_UNLIKELY(b == ~0ull)) return 0;
  return (uint64_t)((int64_t)a % (int64_t)b);
}
WA_INLINE uint64_t wa_i64_rem_u(wasmaot_instance *ctx, uint32_t fn, uint64_t a, uint64_t b) {
  if (WA_UNLIKELY(b == 0)) wa_trap(ctx, fn, WASMAOT_TRAP_DIVIDE_BY_ZERO);
  return a % b;
}

/* ---- floats -----------------------------------------------------------------
 * Sign operations are bit operations so NaN payloads pass through untouched. */
WA_INLINE float wa_f32_neg(float x) { return wa_f32_from_bits(wa_f32_bits(x) ^ 0x80000000u); }
WA_INLINE double wa_f64_neg(double x) { return wa_f64_from_bits(wa_f64_bits(x) ^ 0x8000000000000000ull); }
WA_INLINE float wa_f32_abs(float x) { return wa_f32_from_bits(wa_f32_bits(x) & 0x7FFFFFFFu); }
WA_INLINE double wa_f64_abs(double x) { return wa_f64_from_bits(wa_f64_bits(x) & 0x7FFFFFFFFFFFFFFFull); }
WA_INLINE float wa_f32_copysign(float a, float b) {
  return wa_f32_from_bits((wa_f32_bits(a) & 0x7FFFFFFFu) | (wa_f32_bits(b) & 0x80000000u));
}
WA_INLINE double wa_f64_copysign(double a, double b) {
  return wa_f64_from_bits((wa_f64_bits(a) & 0x7FFFFFFFFFFFFFFFull) | (wa_f64_bits(b) & 0x8000000000000000ull));
}
/* An optimisation barrier for a float operand whose value would let clang
 * fold the operation away (x*1, x-0, demote(promote(x))) and so skip quieting
 * a signalling NaN. */
WA_INLINE float wa_f32_opaque(float x) {
  __asm__("" : "+" WA_FP_REG(x));
  return x;
}
WA_INLINE double wa_f64_opaque(double x) {
  __asm__("" : "+" WA_FP_REG(x));
  return x;
}

/* min/max: NaN in → NaN out (quietened by the addition); -0 < +0. */
WA_INLINE float wa_f32_min(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return wa_f32_from_bits(wa_f32_bits(a) | wa_f32_bits(b));
  return a < b ? a : b;
}
WA_INLINE float wa_f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return wa_f32_from_bits(wa_f32_bits(a) & wa_f32_bits(b));
  return a > b ? a : b;
}
WA_INLINE double wa_f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return wa_f64_from_bits(wa_f64_bits(a) | wa_f64_bits(b));
  return a < b ? a : b;
}
WA_INLINE double wa_f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return wa_f64_from_bits(wa_f64_bits(a) & wa_f64_bits(b));
  return a > b ? a : b;
}
/* Rounding: the compiler builtins lower to single instructions on the default
 * baseline (SSE4.1 roundss/roundsd); nearbyint rounds ties to even. */
WA_INLINE float wa_f32_ceil(float x) { return __builtin_ceilf(x); }
WA_INLINE float wa_f32_floor(float x) { return __builtin_floorf(x); }
WA_INLINE float wa_f32_trunc(float x) { return __builtin_truncf(x); }
WA_INLINE float wa_f32_nearest(float x) { return __builtin_nearbyintf(x); }
WA_INLINE float wa_f32_sqrt(float x) { return __builtin_sqrtf(x); }
WA_INLINE double wa_f64_ceil(double x) { return __builtin_ceil(x); }
WA_INLINE double wa_f64_floor(double x) { return __builtin_floor(x); }
WA_INLINE double wa_f64_trunc(double x) { return __builtin_trunc(x); }
WA_INLINE double wa_f64_nearest(double x) { return __builtin_nearbyint(x); }
WA_INLINE double wa_f64_sqrt(double x) { return __builtin_sqrt(x); }

/* ---- conversions ------------------------------------------------------------
 * Trapping truncation: NaN → invalid conversion; outside the exact range of the
 * target (bounds are exactly representable powers of two) → integer overflow. */
#define WA_DEFINE_TRUNC(name, ftype, itype, rtype, lo_ok, hi)                                     \
  WA_INLINE rtype name(wasmaot_instance *ctx, uint32_t fn, ftype x) {                             \
    /* NaN fails both bounds: one check, one trap path, the kind worked out there. */             \
    if (WA_UNLIKELY(!((lo_ok) && x < (hi))))                                                      \
      wa_trap(ctx, fn, x != x ? WASMAOT_TRAP_INVALID_CONVERSION : WASMAOT_TRAP_INTEGER_OVERFLOW); \
    return (rtype)(itype)x;                                                                       \
  }
WA_DEFINE_TRUNC(wa_i32_trunc_f32_s, float, int32_t, uint32_t, x >= -2147483648.0f, 2147483648.0f)
WA_DEFINE_TRUNC(wa_i32_trunc_f32_u, float, uint32_t, uint32_t, x > -1.0f, 4294967296.0f)
WA_DEFINE_TRUNC(wa_i32_trunc_f64_s, double, int32_t, uint32_t, x > -2147483649.0, 2147483648.0)
WA_DEFINE_TRUNC(wa_i32_trunc_f64_u, double, uint32_t, uint32_t, x > -1.0, 4294967296.0)
WA_DEFINE_TRUNC(wa_i64_trunc_f32_s, float, int64_t, uint64_t, x >= -9223372036854775808.0f, 9223372036854775808.0f)
WA_DEFINE_TRUNC(wa_i64_trunc_f32_u, float, uint64_t, uint64_t, x > -1.0f, 18446744073709551616.0f)
WA_DEFINE_TRUNC(wa_i64_trunc_f64_s, double, int64_t, uint64_t, x >= -9223372036854775808.0, 9223372036854775808.0)
WA_DEFINE_TRUNC(wa_i64_trunc_f64_u, double, uint64_t, uint64_t, x > -1.0, 18446744073709551616.0)

/* Saturating truncation: NaN → 0, clamped to the target range. */
#define WA_DEFINE_TRUNC_SAT(name, ftype, itype, rtype, lo_ok, hi, minv, maxv) \
  WA_INLINE rtype name(ftype x) {                                             \
    if (x != x) return 0;                                                     \
    if (!(lo_ok)) return (rtype)(minv);                                       \
    if (!(x < (hi))) return (rtype)(maxv);                                    \
    return (rtype)(itype)x;                                                   \
  }
WA_DEFINE_TRUNC_SAT(wa_i32_trunc_sat_f32_s, float, int32_t, uint32_t, x >= -2147483648.0f, 2147483648.0f, 0x80000000u,
                    0x7FFFFFFFu)
WA_DEFINE_TRUNC_SAT(wa_i32_trunc_sat_f32_u, float, uint32_t, uint32_t, x > -1.0f, 4294967296.0f, 0u, 0xFFFFFFFFu)
WA_DEFINE_TRUNC_SAT(wa_i32_trunc_sat_f64_s, double, int32_t, uint32_t, x > -2147483649.0, 2147483648.0, 0x80000000u,
                    0x7FFFFFFFu)
WA_DEFINE_TRUNC_SAT(wa_i32_trunc_sat_f64_u, double, uint32_t, uint32_t, x > -1.0, 4294967296.0, 0u, 0xFFFFFFFFu)
WA_DEFINE_TRUNC_SAT(wa_i64_trunc_sat_f32_s, float, int64_t, uint64_t, x >= -9223372036854775808.0f,
                    9223372036854775808.0f, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull)
WA_DEFINE_TRUNC_SAT(wa_i64_trunc_sat_f32_u, float, uint64_t, uint64_t, x > -1.0f, 18446744073709551616.0f, 0ull, ~0ull)
WA_DEFINE_TRUNC_SAT(wa_i64_trunc_sat_f64_s, double, int64_t, uint64_t, x >= -9223372036854775808.0,
                    9223372036854775808.0, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull)
WA_DEFINE_TRUNC_SAT(wa_i64_trunc_sat_f64_u, double, uint64_t, uint64_t, x > -1.0, 18446744073709551616.0, 0ull, ~0ull)

/* ---- tables and calls --------------------------------------------------------- */
/* The funcref for call_indirect: bounds, null and signature checked. */
WA_INLINE const wasmaot_funcref *wa_indirect_target(wasmaot_instance *ctx, uint32_t fn, uint32_t table, uint64_t index,
                                                    uint32_t type) {
  const wasmaot_table *t = ctx->tables[table];
  const wasmaot_funcref *f = NULL;
  /* One trap path per call site (the kind worked out there): less code for
   * clang to compile than three, the same checks on the hot path. */
  if (WA_UNLIKELY(index >= t->size || (f = (const wasmaot_funcref *)t->elements[index]) == NULL ||
                  f->type_id != ctx->type_ids[type]))
    wa_trap(ctx, fn,
            index >= t->size ? WASMAOT_TRAP_UNDEFINED_ELEMENT
            : f == NULL      ? WASMAOT_TRAP_UNINITIALIZED_ELEMENT
                             : WASMAOT_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
  return f;
}
/* A reference that must not be null (ref.as_non_null): traps on null. */
WA_INLINE void *wa_ref_as_non_null(wasmaot_instance *ctx, uint32_t fn, const void *ref) {
  if (WA_UNLIKELY(ref == NULL)) wa_trap(ctx, fn, WASMAOT_TRAP_NULL_REFERENCE);
  return (void *)ref;
}
/* The function call_ref and return_call_ref call: traps on null. */
WA_INLINE const wasmaot_funcref *wa_call_ref_target(wasmaot_instance *ctx, uint32_t fn, const void *ref) {
  if (WA_UNLIKELY(ref == NULL)) wa_trap(ctx, fn, WASMAOT_TRAP_NULL_FUNCTION_REFERENCE);
  return (const wasmaot_funcref *)ref;
}
/* The funcref of an imported function. */
WA_INLINE const wasmaot_funcref *wa_import_target(wasmaot_instance *ctx, uint32_t func) { return &ctx->funcs[func]; }
WA_INLINE void *wa_table_get(wasmaot_instance *ctx, uint32_t fn, uint32_t table, uint64_t index) {
  const wasmaot_table *t = ctx->tables[table];
  if (WA_UNLIKELY(index >= t->size)) wa_trap(ctx, fn, WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS);
  return t->elements[index];
}
WA_INLINE void wa_table_set(wasmaot_instance *ctx, uint32_t fn, uint32_t table, uint64_t index, void *value) {
  wasmaot_table *t = ctx->tables[table];
  if (WA_UNLIKELY(index >= t->size)) wa_trap(ctx, fn, WASMAOT_TRAP_TABLE_OUT_OF_BOUNDS);
  t->elements[index] = value;
}

#endif /* WASMAOT_OPS_H */
