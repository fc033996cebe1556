/*
 * MultiplyByQuantizedMultiplier (ARITHMETIC.md) in scalar form and one vector form per
 * instruction set. Every form is bit exact with the scalar one for every int32 input;
 * kernel-test checks that on edge values (INT32_MIN/MAX, ties, shift 0 and 31).
 *
 * The multiplier is never INT32_MIN (packing accepts 0..2^31-1), so SRDHM cannot
 * saturate in the vector forms; the scalar form keeps the saturation to stay the
 * literal definition.
 */
#pragma once

#include "common.h"

static inline int32_t edge_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  /* floor((a*b + 2^30) / 2^31) equals gemmlowp's nudge-and-truncate for both signs. */
  int64_t p = (int64_t)a * (int64_t)b + (INT64_C(1) << 30);
  return (int32_t)(p >> 31);
}

static inline int32_t edge_rdbp(int32_t x, int32_t e) {
  int32_t mask = (int32_t)((UINT32_C(1) << e) - 1u);
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}

static inline int32_t edge_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  int32_t left = shift > 0 ? shift : 0;
  int32_t right = shift > 0 ? 0 : -shift;
  return edge_rdbp(edge_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* clamp(zo + y, min, max) without int32 overflow. */
static inline uint8_t edge_output(int32_t y, const struct edge_output_params *o) {
  int64_t v = (int64_t)o->zero_point + y;
  if (v < o->min) v = o->min;
  if (v > o->max) v = o->max;
  return (uint8_t)v;
}

/* MBQM from packed constants: rq points at a tile of `tile` channels. */
static inline int32_t edge_mbqm_packed(int32_t acc, const int32_t *rq, size_t tile, size_t lane) {
  int32_t x = (int32_t)((uint32_t)acc << rq[EDGE_RQ_LSHIFT * tile + lane]);
  x = edge_srdhm(x, rq[EDGE_RQ_MULT * tile + lane]);
  int32_t threshold = rq[EDGE_RQ_RHALF * tile + lane] + (x < 0 ? 1 : 0);
  return (x >> rq[EDGE_RQ_RSHIFT * tile + lane]) + ((x & rq[EDGE_RQ_RMASK * tile + lane]) > threshold ? 1 : 0);
}

static inline uint8_t edge_requantize_packed(int32_t acc, const int32_t *rq, size_t tile, size_t lane,
                                             const struct edge_output_params *o) {
  return edge_output(edge_mbqm_packed(acc, rq, tile, lane), o);
}

#if defined(__ARM_NEON) || defined(__ARM_NEON__)
#include <arm_neon.h>

/* rq points at the tile's constants; lane offset c selects 4 channels. */
static inline int32x4_t edge_mbqm_neon(int32x4_t x, const int32_t *rq, size_t tile, size_t c) {
  x = vshlq_s32(x, vld1q_s32(rq + EDGE_RQ_LSHIFT * tile + c));
  x = vqrdmulhq_s32(x, vld1q_s32(rq + EDGE_RQ_MULT * tile + c));
  int32x4_t nr = vld1q_s32(rq + EDGE_RQ_NRSHIFT * tile + c);
  /* vrshl rounds ties up; subtracting 1 from negative x (when shifting at all) turns
     that into ties away from zero. The saturating add keeps INT32_MIN exact. */
  x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, nr), 31));
  return vrshlq_s32(x, nr);
}

/* Saturating narrowing is exact here: anything outside int16 lies outside [min, max] anyway. */
static inline uint8x8_t edge_output_neon(int32x4_t lo, int32x4_t hi, int16x8_t zo, uint8x8_t min, uint8x8_t max) {
  int16x8_t v = vqaddq_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi)), zo);
  return vmin_u8(vmax_u8(vqmovun_s16(v), min), max);
}
#endif

#if defined(__AVX2__)
#include <immintrin.h>

static inline __m256i edge_mbqm_avx2(__m256i x, const int32_t *rq, size_t tile, size_t c) {
  const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
  x = _mm256_sllv_epi32(x, _mm256_loadu_si256((const __m256i *)(rq + EDGE_RQ_LSHIFT * tile + c)));
  __m256i m = _mm256_loadu_si256((const __m256i *)(rq + EDGE_RQ_MULT * tile + c));
  /* 64-bit products of even and odd lanes; bits 31..62 of p + 2^30 are the result. */
  __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
  __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge);
  __m256i y = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_add_epi64(po, po), 0xAA);
  __m256i threshold = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(rq + EDGE_RQ_RHALF * tile + c)),
                                       _mm256_srai_epi32(y, 31));
  __m256i rem = _mm256_and_si256(y, _mm256_loadu_si256((const __m256i *)(rq + EDGE_RQ_RMASK * tile + c)));
  __m256i q = _mm256_srav_epi32(y, _mm256_loadu_si256((const __m256i *)(rq + EDGE_RQ_RSHIFT * tile + c)));
  return _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, threshold));
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
 * Port budget on Intel (512-bit ops issue on p0 and p5 only; shifts and multiplies on p0):
 * 5 p0 + 3 p5 + 7 either, the shuffles taking work off p0 where VPDPBUSD also runs.
 */
static inline __m512i edge_mbqm_avx512(__m512i x, const int32_t *rq, size_t tile, size_t c) {
  const __m512i nudge = _mm512_set1_epi64(INT64_C(1) << 30);
  x = _mm512_sllv_epi32(x, _mm512_loadu_si512(rq + EDGE_RQ_LSHIFT * tile + c));
  __m512i pe = _mm512_mul_epi32(x, _mm512_loadu_si512(rq + EDGE_RQ_MULT * tile + c));
  __m512i po = _mm512_mul_epi32(_mm512_shuffle_epi32(x, _MM_PERM_DDBB),
                                _mm512_loadu_si512(rq + EDGE_RQ_MULT_ODD * tile + c));
  /* 2 * (p + 2^30) holds floor((p + 2^30) / 2^31) in its high dword. */
  pe = _mm512_add_epi64(pe, nudge);
  po = _mm512_add_epi64(po, nudge);
  pe = _mm512_add_epi64(pe, pe);
  po = _mm512_add_epi64(po, po);
  __m512i y = _mm512_mask_shuffle_epi32(po, 0x5555, pe, _MM_PERM_DDBB);
  __m512i threshold = _mm512_sub_epi32(_mm512_loadu_si512(rq + EDGE_RQ_RHALF * tile + c), _mm512_srai_epi32(y, 31));
  __m512i rem = _mm512_and_si512(y, _mm512_loadu_si512(rq + EDGE_RQ_RMASK * tile + c));
  __m512i q = _mm512_srav_epi32(y, _mm512_loadu_si512(rq + EDGE_RQ_RSHIFT * tile + c));
  return _mm512_mask_sub_epi32(q, _mm512_cmpgt_epi32_mask(rem, threshold), q, _mm512_set1_epi32(-1));
}

/* 16 int32 to 16 clamped bytes (channel tails). */
static inline __m128i edge_output_avx512(__m512i a, __m256i zo, __m128i min, __m128i max) {
  __m256i w = _mm256_adds_epi16(_mm512_cvtsepi32_epi16(a), zo);
  __m128i u = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  return _mm_min_epu8(_mm_max_epu8(u, min), max);
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
