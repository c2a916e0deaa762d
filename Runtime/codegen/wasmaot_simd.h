/*
 * wasmaot_simd.h — the inline helpers for the v128 instructions (WebAssembly 2.0
 * SIMD and 3.0's relaxed SIMD), with exact wasm semantics. Generated code includes it after
 * wasmaot_ops.h (whose WA_INLINE, WA_ADDR, WA_CHECK_BOUNDS and WA_FP_REG it
 * uses) only when the module uses v128, sparing other modules its parse. A v128 is a clang vector of two uint64 lanes;
 * the lane views below reinterpret it by casting (a bitcast). Lanes are numbered like wasm (lane 0 = lowest address).
 * Nothing relies on undefined behaviour: lane arithmetic is unsigned, shift counts and lane indices are masked, floats
 * are clamped before conversion to integers, memory is accessed with memcpy. Generic vector code is written so clang
 * picks single SSE/NEON instructions; x86 builtins appear only under feature macros, with a portable fallback.
 */
#ifndef WASMAOT_SIMD_H
#define WASMAOT_SIMD_H

#include "wasmaot_ops.h"

#define WA_VEC(n) __attribute__((vector_size(n)))
typedef uint64_t wa_v128 WA_VEC(16);
typedef int8_t wa_i8x16 WA_VEC(16);
typedef uint8_t wa_u8x16 WA_VEC(16);
typedef int16_t wa_i16x8 WA_VEC(16);
typedef uint16_t wa_u16x8 WA_VEC(16);
typedef int32_t wa_i32x4 WA_VEC(16);
typedef uint32_t wa_u32x4 WA_VEC(16);
typedef int64_t wa_i64x2 WA_VEC(16);
typedef float wa_f32x4 WA_VEC(16);
typedef double wa_f64x2 WA_VEC(16);
/* Half and double widths, for widening and narrowing; masks for bitmask. */
typedef int32_t wa_i32x2 WA_VEC(8);
typedef uint32_t wa_u32x2 WA_VEC(8);
typedef float wa_f32x2 WA_VEC(8);
typedef int16_t wa_i16x16 WA_VEC(32);
typedef uint16_t wa_u16x16 WA_VEC(32);
typedef int32_t wa_i32x8 WA_VEC(32);
typedef uint32_t wa_u32x8 WA_VEC(32);
typedef _Bool wa_b16 __attribute__((ext_vector_type(16)));
typedef _Bool wa_b8 __attribute__((ext_vector_type(8)));
typedef _Bool wa_b4 __attribute__((ext_vector_type(4)));
typedef _Bool wa_b2 __attribute__((ext_vector_type(2)));

/* Bitwise select on masks of any lane width: m ? x : y. */
#define WA_SEL(m, x, y) (((wa_v128)(m) & (wa_v128)(x)) | (~(wa_v128)(m) & (wa_v128)(y)))
/* A vector of type T with every lane c. */
#define WA_SPLAT(T, c) ((T){} + (c))

/* ---- ABI, global cells, constants -------------------------------------------- */
WA_INLINE wa_v128 wa_v128_from_abi(wasmaot_v128 x) { return (wa_v128){x.lo, x.hi}; }
WA_INLINE wasmaot_v128 wa_v128_to_abi(wa_v128 v) {
  wasmaot_v128 r = {v[0], v[1]};
  return r;
}
WA_INLINE wa_v128 wa_v128_get_cell(const wasmaot_value *cell) {
  wa_v128 v;
  memcpy(&v, cell->v128, 16);
  return v;
}
WA_INLINE void wa_v128_set_cell(wasmaot_value *cell, wa_v128 v) { memcpy(cell->v128, &v, 16); }
#define wa_v128_const(lo, hi) ((wa_v128){(lo), (hi)})
/* Like wa_f32_opaque: keeps clang from folding float lanes (x*1 would let a
 * signalling NaN through unquietened). */
WA_INLINE wa_v128 wa_v128_opaque(wa_v128 v) {
  __asm__("" : "+" WA_FP_REG(v));
  return v;
}

/* ---- stamping macros: a, b are the operands seen as lane type T ---------------- */
#define WA_BIN(name, T, expr)                      \
  WA_INLINE wa_v128 name(wa_v128 a_, wa_v128 b_) { \
    T a = (T)a_, b = (T)b_;                        \
    return (wa_v128)(expr);                        \
  }
#define WA_UN(name, T, expr)           \
  WA_INLINE wa_v128 name(wa_v128 a_) { \
    T a = (T)a_;                       \
    return (wa_v128)(expr);            \
  }

/* ---- bitwise ------------------------------------------------------------------ */
WA_BIN(wa_v128_and, wa_v128, a &b)
WA_BIN(wa_v128_andnot, wa_v128, a & ~b)
WA_BIN(wa_v128_or, wa_v128, a | b)
WA_BIN(wa_v128_xor, wa_v128, a ^ b)
WA_UN(wa_v128_not, wa_v128, ~a)
WA_INLINE wa_v128 wa_v128_bitselect(wa_v128 v1, wa_v128 v2, wa_v128 c) { return (v1 & c) | (v2 & ~c); }
WA_INLINE uint32_t wa_v128_any_true(wa_v128 a) { return (a[0] | a[1]) != 0; }

/* ---- integer lanes: wrapping arithmetic in unsigned lanes, comparisons -------- */
#define WA_INT_COMMON(sh, S, U, bits)                                                                           \
  WA_BIN(wa_##sh##_add, U, a + b)                                                                               \
  WA_BIN(wa_##sh##_sub, U, a - b)                                                                               \
  WA_UN(wa_##sh##_neg, U, -a)                                                                                   \
  WA_UN(wa_##sh##_abs, U, (a ^ (U)((S)a >> (bits - 1))) - (U)((S)a >> (bits - 1)))                              \
  WA_BIN(wa_##sh##_eq, U, a == b)                                                                               \
  WA_BIN(wa_##sh##_ne, U, a != b)                                                                               \
  WA_BIN(wa_##sh##_lt_s, S, a < b)                                                                              \
  WA_BIN(wa_##sh##_gt_s, S, a > b)                                                                              \
  WA_BIN(wa_##sh##_le_s, S, a <= b)                                                                             \
  WA_BIN(wa_##sh##_ge_s, S, a >= b)                                                                             \
  WA_INLINE uint32_t wa_##sh##_all_true(wa_v128 a) {                                                            \
    wa_v128 z = (wa_v128)((U)a == 0);                                                                           \
    return (z[0] | z[1]) == 0;                                                                                  \
  }                                                                                                             \
  /* Shift counts are taken modulo the lane width. */                                                           \
  WA_INLINE wa_v128 wa_##sh##_shl(wa_v128 a, uint32_t n) { return (wa_v128)((U)a << (int)(n & (bits - 1))); }   \
  WA_INLINE wa_v128 wa_##sh##_shr_s(wa_v128 a, uint32_t n) { return (wa_v128)((S)a >> (int)(n & (bits - 1))); } \
  WA_INLINE wa_v128 wa_##sh##_shr_u(wa_v128 a, uint32_t n) { return (wa_v128)((U)a >> (int)(n & (bits - 1))); }
/* i8x16, i16x8 and i32x4 also have unsigned comparisons and min/max; i8x16 and
 * i16x8 saturating arithmetic and the rounding average. */
#define WA_INT_SMALL(sh, S, U)                                \
  WA_BIN(wa_##sh##_lt_u, U, a < b)                            \
  WA_BIN(wa_##sh##_gt_u, U, a > b)                            \
  WA_BIN(wa_##sh##_le_u, U, a <= b)                           \
  WA_BIN(wa_##sh##_ge_u, U, a >= b)                           \
  WA_BIN(wa_##sh##_min_s, S, __builtin_elementwise_min(a, b)) \
  WA_BIN(wa_##sh##_min_u, U, __builtin_elementwise_min(a, b)) \
  WA_BIN(wa_##sh##_max_s, S, __builtin_elementwise_max(a, b)) \
  WA_BIN(wa_##sh##_max_u, U, __builtin_elementwise_max(a, b))
#define WA_INT_SAT(sh, S, U, UW)                                      \
  WA_BIN(wa_##sh##_add_sat_s, S, __builtin_elementwise_add_sat(a, b)) \
  WA_BIN(wa_##sh##_add_sat_u, U, __builtin_elementwise_add_sat(a, b)) \
  WA_BIN(wa_##sh##_sub_sat_s, S, __builtin_elementwise_sub_sat(a, b)) \
  WA_BIN(wa_##sh##_sub_sat_u, U, __builtin_elementwise_sub_sat(a, b)) \
  /* (a + b + 1) >> 1 in wider lanes: pavgb / pavgw, urhadd. */       \
  WA_BIN(wa_##sh##_avgr_u, U,                                         \
         __builtin_convertvector((__builtin_convertvector(a, UW) + __builtin_convertvector(b, UW) + 1) >> 1, U))
WA_INT_COMMON(i8x16, wa_i8x16, wa_u8x16, 8)
WA_INT_COMMON(i16x8, wa_i16x8, wa_u16x8, 16)
WA_INT_COMMON(i32x4, wa_i32x4, wa_u32x4, 32)
WA_INT_COMMON(i64x2, wa_i64x2, wa_v128, 64)
WA_INT_SMALL(i8x16, wa_i8x16, wa_u8x16)
WA_INT_SMALL(i16x8, wa_i16x8, wa_u16x8)
WA_INT_SMALL(i32x4, wa_i32x4, wa_u32x4)
WA_INT_SAT(i8x16, wa_i8x16, wa_u8x16, wa_u16x16)
WA_INT_SAT(i16x8, wa_i16x8, wa_u16x8, wa_u32x8)
WA_BIN(wa_i16x8_mul, wa_u16x8, a *b)
WA_BIN(wa_i32x4_mul, wa_u32x4, a *b)
WA_BIN(wa_i64x2_mul, wa_v128, a *b)
WA_UN(wa_i8x16_popcnt, wa_u8x16, __builtin_elementwise_popcount(a))

/* sat((a*b + 0x4000) >> 15): pmulhrsw computes it but wraps the single overflow
 * (-32768 * -32768 → 0x8000, never a correct result) which the xor corrects. */
WA_INLINE wa_v128 wa_i16x8_q15mulr_sat_s(wa_v128 a, wa_v128 b) {
#if defined(__SSSE3__)
  wa_i16x8 r = __builtin_ia32_pmulhrsw128((wa_i16x8)a, (wa_i16x8)b);
  return (wa_v128)(r ^ (r == -32768));
#else
  wa_u32x8 p = (wa_u32x8) __builtin_convertvector((wa_i16x8)a, wa_i32x8) *
               (wa_u32x8) __builtin_convertvector((wa_i16x8)b, wa_i32x8);
  wa_i32x8 r = (wa_i32x8)(p + 0x4000u) >> 15;
  return (wa_v128) __builtin_convertvector(__builtin_elementwise_min(r, WA_SPLAT(wa_i32x8, 32767)), wa_i16x8);
#endif
}
/* Pairwise sums of signed 16-bit products, wrapping (clang emits pmaddwd / smull+addp). */
WA_INLINE wa_v128 wa_i32x4_dot_i16x8_s(wa_v128 a, wa_v128 b) {
  wa_u32x8 p = (wa_u32x8) __builtin_convertvector((wa_i16x8)a, wa_i32x8) *
               (wa_u32x8) __builtin_convertvector((wa_i16x8)b, wa_i32x8);
  return (wa_v128)(__builtin_shufflevector(p, p, 0, 2, 4, 6) + __builtin_shufflevector(p, p, 1, 3, 5, 7));
}

/* ---- widening: extend, extmul (signed or unsigned source → wide unsigned lanes) */
#define WA_HALF_16_low  0, 1, 2, 3, 4, 5, 6, 7
#define WA_HALF_16_high 8, 9, 10, 11, 12, 13, 14, 15
#define WA_HALF_8_low   0, 1, 2, 3
#define WA_HALF_8_high  4, 5, 6, 7
#define WA_HALF_4_low   0, 1
#define WA_HALF_4_high  2, 3
#define WA_WIDEN1(to, from, n, sx, T, WU, part)                                           \
  WA_UN(wa_##to##_extend_##part##_##from##_##sx, T,                                       \
        __builtin_convertvector(__builtin_shufflevector(a, a, WA_HALF_##n##_##part), WU)) \
  WA_BIN(wa_##to##_extmul_##part##_##from##_##sx, WU,                                     \
         (WU)wa_##to##_extend_##part##_##from##_##sx((wa_v128)a) *                        \
             (WU)wa_##to##_extend_##part##_##from##_##sx((wa_v128)b))
#define WA_WIDEN(to, from, n, S, U, WU) \
  WA_WIDEN1(to, from, n, s, S, WU, low) \
  WA_WIDEN1(to, from, n, u, U, WU, low) WA_WIDEN1(to, from, n, s, S, WU, high) WA_WIDEN1(to, from, n, u, U, WU, high)
WA_WIDEN(i16x8, i8x16, 16, wa_i8x16, wa_u8x16, wa_u16x8)
WA_WIDEN(i32x4, i16x8, 8, wa_i16x8, wa_u16x8, wa_u32x4)
WA_WIDEN(i64x2, i32x4, 4, wa_i32x4, wa_u32x4, wa_v128)
/* Sums of adjacent lanes: even lane = low half of the wide lane, odd = high half. */
WA_UN(wa_i16x8_extadd_pairwise_i8x16_s, wa_i16x8, (wa_u16x8)((wa_i16x8)((wa_u16x8)a << 8) >> 8) + (wa_u16x8)(a >> 8))
WA_UN(wa_i16x8_extadd_pairwise_i8x16_u, wa_u16x8, (a & 0xFF) + (a >> 8))
#if defined(__SSE2__) /* pmaddwd by ones (clang would simplify a generic multiply by 1 away) */
WA_UN(wa_i32x4_extadd_pairwise_i16x8_s, wa_i16x8, __builtin_ia32_pmaddwd128(a, WA_SPLAT(wa_i16x8, 1)))
#else
WA_UN(wa_i32x4_extadd_pairwise_i16x8_s, wa_i32x4, (wa_u32x4)((wa_i32x4)((wa_u32x4)a << 16) >> 16) + (wa_u32x4)(a >> 16))
#endif
WA_UN(wa_i32x4_extadd_pairwise_i16x8_u, wa_u32x4, (a & 0xFFFF) + (a >> 16))

/* ---- narrowing: signed lanes of a (low half) and b (high half), saturated ----- */
#define WA_CAT_16 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
#define WA_CAT_8  0, 1, 2, 3, 4, 5, 6, 7
#define WA_NARROW(name, S, WS, n, D, lo, hi)                                                             \
  WA_BIN(name, S,                                                                                        \
         __builtin_convertvector(                                                                        \
             __builtin_elementwise_min(                                                                  \
                 __builtin_elementwise_max(__builtin_shufflevector(a, b, WA_CAT_##n), WA_SPLAT(WS, lo)), \
                 WA_SPLAT(WS, hi)),                                                                      \
             D))
WA_NARROW(wa_i8x16_narrow_i16x8_s, wa_i16x8, wa_i16x16, 16, wa_i8x16, -128, 127)
WA_NARROW(wa_i8x16_narrow_i16x8_u, wa_i16x8, wa_i16x16, 16, wa_u8x16, 0, 255)
WA_NARROW(wa_i16x8_narrow_i32x4_s, wa_i32x4, wa_i32x8, 8, wa_i16x8, -32768, 32767)
WA_NARROW(wa_i16x8_narrow_i32x4_u, wa_i32x4, wa_i32x8, 8, wa_u16x8, 0, 65535)

/* ---- bitmask: bit i = top bit of lane i (pmovmskb / movmskps / movmskpd) ------- */
#define WA_BITMASK(sh, S, B, bytes, all)            \
  WA_INLINE uint32_t wa_##sh##_bitmask(wa_v128 a) { \
    B m = __builtin_convertvector((S)a < 0, B);     \
    uint16_t r = 0;                                 \
    memcpy(&r, &m, bytes);                          \
    return r & (all);                               \
  }
WA_BITMASK(i8x16, wa_i8x16, wa_b16, 2, 0xFFFFu)
WA_BITMASK(i16x8, wa_i16x8, wa_b8, 1, 0xFFu)
WA_BITMASK(i32x4, wa_i32x4, wa_b4, 1, 0xFu)
WA_BITMASK(i64x2, wa_i64x2, wa_b2, 1, 0x3u)

/* ---- swizzle and shuffle ---------------------------------------------------------- */
/* result[i] = b[i] < 16 ? a[b[i]] : 0. pshufb zeroes a lane when bit 7 of the
 * index is set: a saturating +0x70 sets it exactly for indices ≥ 16. */
WA_INLINE wa_v128 wa_i8x16_swizzle(wa_v128 a, wa_v128 b) {
#if defined(__SSSE3__)
  wa_u8x16 i = __builtin_elementwise_add_sat((wa_u8x16)b, WA_SPLAT(wa_u8x16, 0x70));
  return (wa_v128)__builtin_ia32_pshufb128((wa_i8x16)a, (wa_i8x16)i);
#else
  wa_u8x16 x = (wa_u8x16)a, i = (wa_u8x16)b, r;
  for (int k = 0; k < 16; k++) r[k] = i[k] < 16 ? x[i[k] & 15] : 0;
  return (wa_v128)r;
#endif
}
/* 16 integer constants in 0..31: 0–15 pick from a, 16–31 from b. */
#define wa_i8x16_shuffle(a, b, ...) ((wa_v128)__builtin_shufflevector((wa_u8x16)(a), (wa_u8x16)(b), __VA_ARGS__))

/* ---- splat, extract_lane, replace_lane (lane masked; float bits kept exactly) ---- */
#define WA_EXTRACT(name, T, N, RT) \
  WA_INLINE RT name(wa_v128 v, unsigned lane) { return (RT)((T)v)[lane & (N - 1)]; }
#define WA_REPLACE(sh, T, N, ST, RT)                                         \
  WA_INLINE wa_v128 wa_##sh##_replace_lane(wa_v128 v, unsigned lane, RT x) { \
    T t = (T)v;                                                              \
    t[lane & (N - 1)] = (ST)x;                                               \
    return (wa_v128)t;                                                       \
  }
WA_EXTRACT(wa_i8x16_extract_lane_s, wa_i8x16, 16, uint32_t) /* int8 → uint32: sign-extends */
WA_EXTRACT(wa_i8x16_extract_lane_u, wa_u8x16, 16, uint32_t)
WA_EXTRACT(wa_i16x8_extract_lane_s, wa_i16x8, 8, uint32_t)
WA_EXTRACT(wa_i16x8_extract_lane_u, wa_u16x8, 8, uint32_t)
WA_EXTRACT(wa_i32x4_extract_lane, wa_u32x4, 4, uint32_t)
WA_EXTRACT(wa_i64x2_extract_lane, wa_v128, 2, uint64_t)
WA_EXTRACT(wa_f32x4_extract_lane, wa_f32x4, 4, float)
WA_EXTRACT(wa_f64x2_extract_lane, wa_f64x2, 2, double)
WA_REPLACE(i8x16, wa_u8x16, 16, uint8_t, uint32_t)
WA_REPLACE(i16x8, wa_u16x8, 8, uint16_t, uint32_t)
WA_REPLACE(i32x4, wa_u32x4, 4, uint32_t, uint32_t)
WA_REPLACE(i64x2, wa_v128, 2, uint64_t, uint64_t)
WA_REPLACE(f32x4, wa_f32x4, 4, float, float)
WA_REPLACE(f64x2, wa_f64x2, 2, double, double)
WA_INLINE wa_v128 wa_i8x16_splat(uint32_t x) { return (wa_v128)WA_SPLAT(wa_u8x16, (uint8_t)x); }
WA_INLINE wa_v128 wa_i16x8_splat(uint32_t x) { return (wa_v128)WA_SPLAT(wa_u16x8, (uint16_t)x); }
WA_INLINE wa_v128 wa_i32x4_splat(uint32_t x) { return (wa_v128)WA_SPLAT(wa_u32x4, x); }
WA_INLINE wa_v128 wa_i64x2_splat(uint64_t x) { return (wa_v128){x, x}; }
/* Not {} + x: -0.0 + 0.0 is +0.0, and an addition would quieten a NaN. */
WA_INLINE wa_v128 wa_f32x4_splat(float x) { return (wa_v128)(wa_f32x4){x, x, x, x}; }
WA_INLINE wa_v128 wa_f64x2_splat(double x) { return (wa_v128)(wa_f64x2){x, x}; }

/* ---- float lanes ---------------------------------------------------------------------
 * Comparisons are IEEE (ne is true for NaN); abs/neg touch only the sign bit. */
#define WA_FLOAT(sh, F, U, sign, sfx)                                                               \
  WA_BIN(wa_##sh##_add, F, a + b)                                                                   \
  WA_BIN(wa_##sh##_sub, F, a - b)                                                                   \
  WA_BIN(wa_##sh##_mul, F, a *b)                                                                    \
  WA_BIN(wa_##sh##_div, F, a / b)                                                                   \
  WA_BIN(wa_##sh##_eq, F, a == b)                                                                   \
  WA_BIN(wa_##sh##_ne, F, a != b)                                                                   \
  WA_BIN(wa_##sh##_lt, F, a < b)                                                                    \
  WA_BIN(wa_##sh##_gt, F, a > b)                                                                    \
  WA_BIN(wa_##sh##_le, F, a <= b)                                                                   \
  WA_BIN(wa_##sh##_ge, F, a >= b)                                                                   \
  WA_UN(wa_##sh##_abs, U, a & ~(U){} >> 1)                                                          \
  WA_UN(wa_##sh##_neg, U, a ^ WA_SPLAT(U, sign))                                                    \
  WA_UN(wa_##sh##_sqrt, F, __builtin_elementwise_sqrt(a))                                           \
  WA_UN(wa_##sh##_ceil, F, __builtin_elementwise_ceil(a))                                           \
  WA_UN(wa_##sh##_floor, F, __builtin_elementwise_floor(a))                                         \
  WA_UN(wa_##sh##_trunc, F, __builtin_elementwise_trunc(a))                                         \
  WA_UN(wa_##sh##_nearest, F, __builtin_elementwise_roundeven(a))                                   \
  /* pmin = b < a ? b : a, pmax = a < b ? b : a (NaN bits pass through). */                         \
  WA_BIN(wa_##sh##_pmin, F, WA_PSEL(min, sfx, b < a, b, a))                                         \
  WA_BIN(wa_##sh##_pmax, F, WA_PSEL(max, sfx, b > a, b, a))                                         \
  /* min: the OR of both operand orders' pmin (-0 wins a tie of zeros); max: the                    \
   * AND of both pmax (+0 wins). A NaN lane takes a + b: a quiet NaN, canonical if                  \
   * the NaN operands are. */                                                                       \
  WA_BIN(wa_##sh##_min, F,                                                                          \
         WA_SEL((a != a) | (b != b), a + b,                                                         \
                (wa_v128)WA_PSEL(min, sfx, a < b, a, b) | (wa_v128)WA_PSEL(min, sfx, b < a, b, a))) \
  WA_BIN(wa_##sh##_max, F,                                                                          \
         WA_SEL((a != a) | (b != b), a + b,                                                         \
                (wa_v128)WA_PSEL(max, sfx, a > b, a, b) & (wa_v128)WA_PSEL(max, sfx, b > a, b, a)))
/* WA_PSEL(op, sfx, x < y, x, y) = x < y ? x : y (op min), x > y ? x : y (op max):
 * on x86 exactly minps/maxps (minpd/maxpd), NaNs included. */
#if defined(__SSE2__)
#define WA_PSEL(op, sfx, m, x, y) __builtin_ia32_##op##sfx(x, y)
#else
#define WA_PSEL(op, sfx, m, x, y) WA_SEL(m, x, y)
#endif
WA_FLOAT(f32x4, wa_f32x4, wa_u32x4, 0x80000000u, ps)
WA_FLOAT(f64x2, wa_f64x2, wa_v128, 0x8000000000000000ull, pd)

/* ---- conversions -----------------------------------------------------------------------
 * Float → int: NaN lanes become 0 and the value is clamped before the C
 * conversion (out of range it would be undefined). */
WA_INLINE wa_v128 wa_i32x4_trunc_sat_f32x4_s(wa_v128 a) {
  wa_f32x4 x = (wa_f32x4)(a & (wa_v128)((wa_f32x4)a == (wa_f32x4)a)); /* NaN → +0 */
  wa_i32x4 big = x >= 2147483648.0f;
#if defined(__SSE2__)
  /* cvttps2dq yields 0x80000000 out of range: right below, flipped above. */
  return (wa_v128)(__builtin_ia32_cvttps2dq(x) ^ big);
#else
  x = __builtin_elementwise_max(x, WA_SPLAT(wa_f32x4, -2147483648.0f));
  x = (wa_f32x4)WA_SEL(big, WA_SPLAT(wa_f32x4, 0.0f), x);
  return (wa_v128)(__builtin_convertvector(x, wa_i32x4) | (big & 0x7FFFFFFF));
#endif
}
WA_INLINE wa_v128 wa_i32x4_trunc_sat_f32x4_u(wa_v128 a) {
  wa_f32x4 x = (wa_f32x4)a;
  wa_u32x4 big = (wa_u32x4)(x >= 4294967296.0f);
  /* Lanes not in (-1, 2^32) (NaN too) become +0, converted to 0; big ones ORed to ~0. */
  x = (wa_f32x4)(a & (wa_v128)((x > -1.0f) & (x < 4294967296.0f)));
  return (wa_v128)(__builtin_convertvector(x, wa_u32x4) | big);
}
WA_UN(wa_f32x4_convert_i32x4_s, wa_i32x4, __builtin_convertvector(a, wa_f32x4))
WA_UN(wa_f32x4_convert_i32x4_u, wa_u32x4, __builtin_convertvector(a, wa_f32x4))
/* Two doubles → lanes 0, 1; lanes 2, 3 zero. Bounds are exact doubles; the
 * selects compile to maxpd/minpd once NaN lanes are zeroed. */
#define WA_TRUNC_SAT_F64(name, I2, lo, hi)                                                                            \
  WA_UN(name, wa_f64x2,                                                                                               \
        __builtin_shufflevector(                                                                                      \
            __builtin_convertvector(wa__clamp_f64x2((wa_f64x2)((wa_v128)a & (wa_v128)(a == a)), lo, hi), I2), (I2){}, \
            0, 1, 2, 3))
WA_INLINE wa_f64x2 wa__clamp_f64x2(wa_f64x2 x, double lo, double hi) {
  x = (wa_f64x2)WA_SEL(x < lo, WA_SPLAT(wa_f64x2, lo), x);
  return (wa_f64x2)WA_SEL(x > hi, WA_SPLAT(wa_f64x2, hi), x);
}
WA_TRUNC_SAT_F64(wa_i32x4_trunc_sat_f64x2_s_zero, wa_i32x2, -2147483648.0, 2147483647.0)
WA_TRUNC_SAT_F64(wa_i32x4_trunc_sat_f64x2_u_zero, wa_u32x2, 0.0, 4294967295.0)
WA_UN(wa_f32x4_demote_f64x2_zero, wa_f64x2,
      __builtin_shufflevector(__builtin_convertvector(a, wa_f32x2), (wa_f32x2){}, 0, 1, 2, 3))
WA_UN(wa_f64x2_promote_low_f32x4, wa_f32x4, __builtin_convertvector(__builtin_shufflevector(a, a, 0, 1), wa_f64x2))
WA_UN(wa_f64x2_convert_low_i32x4_s, wa_i32x4, __builtin_convertvector(__builtin_shufflevector(a, a, 0, 1), wa_f64x2))
WA_UN(wa_f64x2_convert_low_i32x4_u, wa_u32x4, __builtin_convertvector(__builtin_shufflevector(a, a, 0, 1), wa_f64x2))

/* ---- relaxed SIMD -----------------------------------------------------------------------
 * One fixed choice per instruction, the same on every host and at every -O (docs/relaxed-simd.md has
 * the table and the reasons): where x86-64-v2's single instruction gives one of the spec's results,
 * that instruction, and the same result computed portably elsewhere; otherwise the deterministic
 * profile's result (the instruction's non-relaxed twin). */

/* An index with bit 7 set gives 0, any other lane (index mod 16): pshufb itself. */
WA_INLINE wa_v128 wa_i8x16_relaxed_swizzle(wa_v128 a, wa_v128 b) {
#if defined(__SSSE3__)
  return (wa_v128)__builtin_ia32_pshufb128((wa_i8x16)a, (wa_i8x16)b);
#else
  wa_u8x16 x = (wa_u8x16)a, i = (wa_u8x16)b, r;
  for (int k = 0; k < 16; k++) r[k] = (i[k] & 0x80) ? 0 : x[i[k] & 15];
  return (wa_v128)r;
#endif
}

/* Signed: NaN and out-of-range lanes give INT32_MIN (cvttps2dq, cvttpd2dq). The portable form
 * converts only in-range lanes (others would be undefined in C) and sets the rest. */
WA_INLINE wa_v128 wa_i32x4_relaxed_trunc_f32x4_s(wa_v128 a) {
#if defined(__SSE2__)
  return (wa_v128)__builtin_ia32_cvttps2dq((wa_f32x4)a);
#else
  wa_f32x4 x = (wa_f32x4)a;
  wa_i32x4 ok = (x >= -2147483648.0f) & (x < 2147483648.0f);
  wa_u32x4 r = (wa_u32x4) __builtin_convertvector((wa_f32x4)(a & (wa_v128)ok), wa_i32x4);
  return (wa_v128)(r | ((wa_u32x4)~ok & 0x80000000u));
#endif
}
WA_INLINE wa_v128 wa_i32x4_relaxed_trunc_f64x2_s_zero(wa_v128 a) {
#if defined(__SSE2__)
  return (wa_v128)__builtin_ia32_cvttpd2dq((wa_f64x2)a);
#else
  wa_f64x2 x = (wa_f64x2)a;
  wa_i64x2 ok = (x > -2147483649.0) & (x < 2147483648.0);
  wa_u32x2 r = (wa_u32x2) __builtin_convertvector((wa_f64x2)(a & (wa_v128)ok), wa_i32x2);
  r |= (wa_u32x2) __builtin_convertvector(~ok, wa_i32x2) & 0x80000000u;
  return (wa_v128)__builtin_shufflevector(r, (wa_u32x2){}, 0, 1, 2, 3);
#endif
}
/* Unsigned: saturating, as trunc_sat (x86 before AVX-512 has no unsigned conversion to borrow). */
WA_INLINE wa_v128 wa_i32x4_relaxed_trunc_f32x4_u(wa_v128 a) { return wa_i32x4_trunc_sat_f32x4_u(a); }
WA_INLINE wa_v128 wa_i32x4_relaxed_trunc_f64x2_u_zero(wa_v128 a) { return wa_i32x4_trunc_sat_f64x2_u_zero(a); }

/* Unfused: a*b is rounded, then c added (x86-64-v2 has no FMA). The barrier keeps clang from
 * contracting the two into an fma whatever -ffp-contract says, constants included. nmadd is
 * c - a*b, which equals (-a)*b + c. */
#define WA_RELAXED_MADD(sh, F)                                                 \
  WA_INLINE wa_v128 wa_##sh##_relaxed_madd(wa_v128 a, wa_v128 b, wa_v128 c) {  \
    return (wa_v128)((F)wa_v128_opaque((wa_v128)((F)a * (F)b)) + (F)c);        \
  }                                                                            \
  WA_INLINE wa_v128 wa_##sh##_relaxed_nmadd(wa_v128 a, wa_v128 b, wa_v128 c) { \
    return (wa_v128)((F)c - (F)wa_v128_opaque((wa_v128)((F)a * (F)b)));        \
  }
WA_RELAXED_MADD(f32x4, wa_f32x4)
WA_RELAXED_MADD(f64x2, wa_f64x2)

/* The top bit of each mask lane picks a's lane (set) or b's (clear): pblendvb, blendvps, blendvpd;
 * i16x8 first copies each lane's top bit over the lane (psraw) for pblendvb. */
#if defined(__SSE4_1__)
#define WA_BLENDV(fn, T, a, b, m) ((wa_v128)__builtin_ia32_##fn((T)(b), (T)(a), (T)(m)))
#else
#define WA_BLENDV(fn, T, a, b, m) WA_SEL((m) < 0, a, b)
#endif
WA_INLINE wa_v128 wa_i8x16_relaxed_laneselect(wa_v128 a, wa_v128 b, wa_v128 m) {
  return WA_BLENDV(pblendvb128, wa_i8x16, a, b, (wa_i8x16)m);
}
WA_INLINE wa_v128 wa_i16x8_relaxed_laneselect(wa_v128 a, wa_v128 b, wa_v128 m) {
  return WA_BLENDV(pblendvb128, wa_i8x16, a, b, (wa_i8x16)((wa_i16x8)m >> 15));
}
WA_INLINE wa_v128 wa_i32x4_relaxed_laneselect(wa_v128 a, wa_v128 b, wa_v128 m) {
  return WA_BLENDV(blendvps, wa_f32x4, a, b, (wa_i32x4)m);
}
WA_INLINE wa_v128 wa_i64x2_relaxed_laneselect(wa_v128 a, wa_v128 b, wa_v128 m) {
  return WA_BLENDV(blendvpd, wa_f64x2, a, b, (wa_i64x2)m);
}

/* min = a < b ? a : b, max = a > b ? a : b: minps/maxps (minpd/maxpd). A NaN in either operand
 * or two zeros give b, its bits unchanged. */
#define WA_RELAXED_MINMAX(sh, F, sfx)                              \
  WA_BIN(wa_##sh##_relaxed_min, F, WA_PSEL(min, sfx, a < b, a, b)) \
  WA_BIN(wa_##sh##_relaxed_max, F, WA_PSEL(max, sfx, a > b, a, b))
WA_RELAXED_MINMAX(f32x4, wa_f32x4, ps)
WA_RELAXED_MINMAX(f64x2, wa_f64x2, pd)

/* As q15mulr_sat_s, but -32768 * -32768 wraps to -32768 instead of saturating: pmulhrsw itself. */
WA_INLINE wa_v128 wa_i16x8_relaxed_q15mulr_s(wa_v128 a, wa_v128 b) {
#if defined(__SSSE3__)
  return (wa_v128)__builtin_ia32_pmulhrsw128((wa_i16x8)a, (wa_i16x8)b);
#else
  wa_u32x8 p = (wa_u32x8) __builtin_convertvector((wa_i16x8)a, wa_i32x8) *
               (wa_u32x8) __builtin_convertvector((wa_i16x8)b, wa_i32x8);
  return (wa_v128) __builtin_convertvector((wa_u32x8)((wa_i32x8)(p + 0x4000u) >> 15), wa_u16x8);
#endif
}

/* a's bytes signed times b's bytes unsigned (b's are 7-bit by contract: the choice shows when they
 * are not), adjacent products summed with signed saturation: pmaddubsw. The products fit 16 bits. */
WA_INLINE wa_v128 wa_i16x8_relaxed_dot_i8x16_i7x16_s(wa_v128 a, wa_v128 b) {
#if defined(__SSSE3__)
  return (wa_v128)__builtin_ia32_pmaddubsw128((wa_i8x16)b, (wa_i8x16)a);
#else
  wa_u16x8 even = (wa_u16x8)((wa_i16x8)((wa_u16x8)a << 8) >> 8) * ((wa_u16x8)b & 0xFF);
  wa_u16x8 odd = (wa_u16x8)((wa_i16x8)a >> 8) * ((wa_u16x8)b >> 8);
  return (wa_v128)__builtin_elementwise_add_sat((wa_i16x8)even, (wa_i16x8)odd);
#endif
}
/* The saturated 16-bit pair sums, summed pairwise into 32 bits, plus c: pmaddubsw, pmaddwd, paddd. */
WA_INLINE wa_v128 wa_i32x4_relaxed_dot_i8x16_i7x16_add_s(wa_v128 a, wa_v128 b, wa_v128 c) {
  return wa_i32x4_add(wa_i32x4_extadd_pairwise_i16x8_s(wa_i16x8_relaxed_dot_i8x16_i7x16_s(a, b)), c);
}

/* ---- linear memory ---------------------------------------------------------------------
 * As WA_DEFINE_LOAD / WA_DEFINE_STORE. In the guard-page form the empty asm
 * takes the vector built from the loaded bytes, so a dead load still faults
 * while the widening or lane insert still folds into the load (pmovsxbw (mem),
 * pinsrb $i, (mem)). Unaligned addresses are fine: memcpy. */
#define WA_FORCE_READ_V(v) __asm__ volatile("" ::WA_FP_REG(v))
#define WA_DEFINE_V128_LOAD(name, ctype, expr)                                                            \
  WA_INLINE wa_v128 name(const uint8_t *mem, uint64_t addr, uint64_t offset) {                            \
    ctype x;                                                                                              \
    memcpy(&x, WA_ADDR(mem, addr, offset), sizeof x);                                                     \
    wa_v128 v = (expr);                                                                                   \
    WA_FORCE_READ_V(v);                                                                                   \
    return v;                                                                                             \
  }                                                                                                       \
  WA_INLINE wa_v128 name##_checked(wasmaot_instance *ctx, uint32_t fn, uint64_t size, const uint8_t *mem, \
                                   uint64_t addr, uint64_t offset) {                                      \
    WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, sizeof(ctype));                                          \
    ctype x;                                                                                              \
    memcpy(&x, WA_ADDR(mem, addr, offset), sizeof x);                                                     \
    return (expr);                                                                                        \
  }
WA_DEFINE_V128_LOAD(wa_v128_load, wa_v128, x)
WA_DEFINE_V128_LOAD(wa_v128_load8x8_s, uint64_t, wa_i16x8_extend_low_i8x16_s((wa_v128){x, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load8x8_u, uint64_t, wa_i16x8_extend_low_i8x16_u((wa_v128){x, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load16x4_s, uint64_t, wa_i32x4_extend_low_i16x8_s((wa_v128){x, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load16x4_u, uint64_t, wa_i32x4_extend_low_i16x8_u((wa_v128){x, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load32x2_s, uint64_t, wa_i64x2_extend_low_i32x4_s((wa_v128){x, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load32x2_u, uint64_t, wa_i64x2_extend_low_i32x4_u((wa_v128){x, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load8_splat, uint8_t, wa_i8x16_splat(x))
WA_DEFINE_V128_LOAD(wa_v128_load16_splat, uint16_t, wa_i16x8_splat(x))
WA_DEFINE_V128_LOAD(wa_v128_load32_splat, uint32_t, wa_i32x4_splat(x))
WA_DEFINE_V128_LOAD(wa_v128_load64_splat, uint64_t, wa_i64x2_splat(x))
WA_DEFINE_V128_LOAD(wa_v128_load32_zero, uint32_t, ((wa_v128)(wa_u32x4){x, 0, 0, 0}))
WA_DEFINE_V128_LOAD(wa_v128_load64_zero, uint64_t, ((wa_v128){x, 0}))

WA_INLINE void wa_v128_store(uint8_t *mem, uint64_t addr, uint64_t offset, wa_v128 v) {
  memcpy(WA_ADDR(mem, addr, offset), &v, sizeof v);
  WA_KEEP_STORE(WA_ADDR(mem, addr, offset), 16);
}
WA_INLINE void wa_v128_store_checked(wasmaot_instance *ctx, uint32_t fn, uint64_t size, uint8_t *mem, uint64_t addr,
                                     uint64_t offset, wa_v128 v) {
  WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, 16);
  memcpy(WA_ADDR(mem, addr, offset), &v, sizeof v);
}

/* load/store one lane: the lane of shape T (N lanes of ctype) at the address. */
#define WA_DEFINE_V128_LANE(bits, ctype, T, N)                                                                        \
  WA_INLINE wa_v128 wa_v128_load##bits##_lane(const uint8_t *mem, uint64_t addr, uint64_t offset, wa_v128 v,          \
                                              unsigned lane) {                                                        \
    ctype x;                                                                                                          \
    memcpy(&x, WA_ADDR(mem, addr, offset), sizeof x);                                                                 \
    T t = (T)v;                                                                                                       \
    t[lane & (N - 1)] = x;                                                                                            \
    v = (wa_v128)t;                                                                                                   \
    WA_FORCE_READ_V(v);                                                                                               \
    return v;                                                                                                         \
  }                                                                                                                   \
  WA_INLINE wa_v128 wa_v128_load##bits##_lane_checked(wasmaot_instance *ctx, uint32_t fn, uint64_t size,              \
                                                      const uint8_t *mem, uint64_t addr, uint64_t offset, wa_v128 v,  \
                                                      unsigned lane) {                                                \
    WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, sizeof(ctype));                                                      \
    ctype x;                                                                                                          \
    memcpy(&x, WA_ADDR(mem, addr, offset), sizeof x);                                                                 \
    T t = (T)v;                                                                                                       \
    t[lane & (N - 1)] = x;                                                                                            \
    return (wa_v128)t;                                                                                                \
  }                                                                                                                   \
  WA_INLINE void wa_v128_store##bits##_lane(uint8_t *mem, uint64_t addr, uint64_t offset, wa_v128 v, unsigned lane) { \
    ctype x = ((T)v)[lane & (N - 1)];                                                                                 \
    memcpy(WA_ADDR(mem, addr, offset), &x, sizeof x);                                                                 \
    WA_KEEP_STORE(WA_ADDR(mem, addr, offset), sizeof(ctype));                                                         \
  }                                                                                                                   \
  WA_INLINE void wa_v128_store##bits##_lane_checked(wasmaot_instance *ctx, uint32_t fn, uint64_t size, uint8_t *mem,  \
                                                    uint64_t addr, uint64_t offset, wa_v128 v, unsigned lane) {       \
    WA_CHECK_BOUNDS(ctx, fn, size, addr, offset, sizeof(ctype));                                                      \
    ctype x = ((T)v)[lane & (N - 1)];                                                                                 \
    memcpy(WA_ADDR(mem, addr, offset), &x, sizeof x);                                                                 \
  }
WA_DEFINE_V128_LANE(8, uint8_t, wa_u8x16, 16)
WA_DEFINE_V128_LANE(16, uint16_t, wa_u16x8, 8)
WA_DEFINE_V128_LANE(32, uint32_t, wa_u32x4, 4)
WA_DEFINE_V128_LANE(64, uint64_t, wa_v128, 2)

#endif /* WASMAOT_SIMD_H */
