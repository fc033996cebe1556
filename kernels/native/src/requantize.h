/*
 * The two output stages of ARITHMETIC.md, in scalar form and one vector form per
 * instruction set; every form is bit exact with the scalar one for every int32 input.
 *
 * fp32 (conv, depthwise, GEMM): f32(f32(acc) * scale), clamped, rounded half to even.
 * The conversions and the multiply round to nearest even, the default floating-point
 * environment, which Node never changes; the build disables FMA contraction.
 *
 * MBQM, TFLite's fixed-point MultiplyByQuantizedMultiplier with a single rounding
 * (mean, requantize). kernel-test checks it on ties of both signs, total shifts 1 and
 * 62, saturation and multiplier 0. The multiplier is never negative (packing accepts
 * 0..2^31-1), so |x * m| < 2^62 and the rounded sum never overflows int64.
 */
#pragma once

#include <math.h>
#include <string.h>

#include "common.h"

static inline uint8_t edge_output_fp32(int32_t acc, float scale, const struct edge_output_params *o) {
  float v = (float)acc * scale;
  v = v > o->max_less_zero_point ? o->max_less_zero_point : v;
  v = v < o->min_less_zero_point ? o->min_less_zero_point : v;
  return (uint8_t)(o->zero_point + (int32_t)lrintf(v));
}

static inline int32_t edge_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t total = 31 - shift;
  /* >> of a negative int64 is arithmetic on every compiler we build with (GCC, Clang). */
  const int64_t r = ((int64_t)x * multiplier + (INT64_C(1) << (total - 1))) >> total;
  return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

/* clamp(zo + y, min, max) without int32 overflow. */
static inline uint8_t edge_output(int32_t y, const struct edge_output_params *o) {
  int64_t v = (int64_t)o->zero_point + y;
  if (v < o->min) v = o->min;
  if (v > o->max) v = o->max;
  return (uint8_t)v;
}

#if defined(__ARM_NEON) || defined(__ARM_NEON__)
#include <arm_neon.h>

/*
 * MBQM on 4 lanes. A negative shift: vqdmulh's floor(x * m / 2^31), then vrshl's
 * round-half-up division by 2^-shift, is one round-half-up of x * m / 2^(31 - shift)
 * (nested floors); shift 0: vqrdmulh is that rounding itself (neither saturates: m is
 * not INT32_MIN). A left shift (never in a MobileNet) takes the definition literally,
 * two lanes at a time in 64 bits: vrshl adds 2^(total-1) before shifting without
 * overflow, and the saturating narrow is saturate32.
 */
static inline int32x4_t edge_mbqm_neon(int32x4_t x, const struct edge_mbqm_params *p) {
  const int32x4_t m = vdupq_n_s32(p->multiplier);
  switch (p->kind) {
    case EDGE_RQ_RIGHT:
      return vrshlq_s32(vqdmulhq_s32(x, m), vdupq_n_s32(p->shift));
    case EDGE_RQ_ZERO:
      return vqrdmulhq_s32(x, m);
    default: {
      const int64x2_t nt = vdupq_n_s64(-p->total);
      const int64x2_t lo = vrshlq_s64(vmull_s32(vget_low_s32(x), vget_low_s32(m)), nt);
      const int64x2_t hi = vrshlq_s64(vmull_s32(vget_high_s32(x), vget_high_s32(m)), nt);
      return vcombine_s32(vqmovn_s64(lo), vqmovn_s64(hi));
    }
  }
}

/*
 * fp32 stage without the zero point: round(f32(f32(acc) * scale)) with the upper bound
 * applied (edge_output_neon applies both after narrowing). aarch64's FCVTNS rounds to
 * nearest even and saturates; armv7 has no rounding conversion, so the value is clamped
 * and rounded by adding 1.5 * 2^23 (exact for |v| < 2^22). armv7 NEON flushes
 * denormals, which only ever round to 0 here anyway.
 */
static inline int32x4_t edge_fp32_neon(int32x4_t acc, float32x4_t scale, float32x4_t lo, float32x4_t hi) {
  const float32x4_t v = vmulq_f32(vcvtq_f32_s32(acc), scale);
#if defined(__aarch64__)
  (void)lo;
  (void)hi;
  return vcvtnq_s32_f32(v);
#else
  const float32x4_t magic = vdupq_n_f32(12582912.0f);
  const float32x4_t r = vaddq_f32(vminq_f32(vmaxq_f32(v, lo), hi), magic);
  return vsubq_s32(vreinterpretq_s32_f32(r), vreinterpretq_s32_f32(magic));
#endif
}

/* Saturating narrowing is exact here: anything outside int16 lies outside [min, max] anyway. */
static inline uint8x8_t edge_output_neon(int32x4_t lo, int32x4_t hi, int16x8_t zo, uint8x8_t min, uint8x8_t max) {
  int16x8_t v = vqaddq_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi)), zo);
  return vmin_u8(vmax_u8(vqmovun_s16(v), min), max);
}

/* The first n of a tile's 8 or 16 output bytes: a partial tile goes through a buffer. */
static inline void edge_store8_neon(uint8_t *c, size_t n, uint8x8_t v) {
  if (n == 8) {
    vst1_u8(c, v);
  } else {
    uint8_t tmp[8];
    vst1_u8(tmp, v);
    memcpy(c, tmp, n);
  }
}

static inline void edge_store16_neon(uint8_t *c, size_t n, uint8x16_t v) {
  if (n == 16) {
    vst1q_u8(c, v);
  } else {
    uint8_t tmp[16];
    vst1q_u8(tmp, v);
    memcpy(c, tmp, n);
  }
}
#endif

#if defined(__AVX2__)
#include <immintrin.h>

/*
 * MBQM on 8 lanes: 64-bit products of even and odd lanes plus 2^62 + 2^(total-1) are
 * positive, so AVX2's logical shift acts as the arithmetic one would, and the low 32
 * bits of the quotient are the result plus 2^(62-total), exact modulo 2^32 because a
 * result that does not shift left fits int32. Left shifts (never in a MobileNet) need
 * saturation: lane by lane.
 */
static inline __m256i edge_mbqm_avx2(__m256i x, const struct edge_mbqm_params *p) {
  if (p->kind == EDGE_RQ_LEFT) {
    int32_t v[8];
    _mm256_storeu_si256((__m256i *)v, x);
    for (size_t i = 0; i < 8; i++) v[i] = edge_mbqm(v[i], p->multiplier, p->shift);
    return _mm256_loadu_si256((const __m256i *)v);
  }
  const __m256i m = _mm256_set1_epi64x(p->multiplier), round = _mm256_set1_epi64x(p->biased_round);
  const __m128i total = _mm_cvtsi32_si128(p->total);
  const __m256i pe = _mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), round), total);
  const __m256i po = _mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m), round), total);
  const __m256i y = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  return _mm256_sub_epi32(y, _mm256_set1_epi32(p->unbias));
}

/* fp32 stage without the zero point; the upper clamp keeps the conversion in range, the lower one follows in bytes. */
static inline __m256i edge_fp32_avx2(__m256i acc, const float *scale, __m256 hi) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale)), hi));
}

/* 16 int32 (two vectors) to 16 clamped bytes, channel order kept. */
static inline __m128i edge_output_avx2(__m256i a, __m256i b, __m256i zo, __m128i min, __m128i max) {
  __m256i v = _mm256_adds_epi16(_mm256_packs_epi32(a, b), zo);
  __m128i u = _mm_packus_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  /* packs interleaves 128-bit halves: bytes are a0-3 b0-3 a4-7 b4-7. */
  u = _mm_shuffle_epi32(u, _MM_SHUFFLE(3, 1, 2, 0));
  return _mm_min_epu8(_mm_max_epu8(u, min), max);
}
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

/*
 * fp32 stage without the zero point; the upper clamp keeps the conversion in range, the
 * lower one follows in bytes. CLAMP is a compile-time constant: kernels instantiate both
 * forms and pick by the operator's clamp_in_float.
 */
static inline __attribute__((always_inline)) __m512i edge_fp32_avx512(const bool CLAMP, __m512i acc, const float *scale,
                                                                     __m512 hi) {
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps(scale));
  if (CLAMP) v = _mm512_min_ps(v, hi);
  return _mm512_cvtps_epi32(v);
}

/* 4 x 16 int32 to 64 clamped bytes in order a, b, c, d. */
static inline __m512i edge_output4_avx512(__m512i a, __m512i b, __m512i c, __m512i d, __m512i zo, __m512i min,
                                          __m512i max) {
  __m512i ab = _mm512_adds_epi16(_mm512_packs_epi32(a, b), zo);
  __m512i cd = _mm512_adds_epi16(_mm512_packs_epi32(c, d), zo);
  /* In 128-bit lane l the packs leave a[4l..4l+3] b[..] c[..] d[..]; gather them back. */
  const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  __m512i u = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(ab, cd));
  return _mm512_min_epu8(_mm512_max_epu8(u, min), max);
}
#endif
