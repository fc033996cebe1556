/*
 * The AVX-512 VNNI GEMM micro-kernel body, instantiated per row count by the
 * qu8-gemm-*x32c4-avx512vnni.c files. Per 4 k: two 64-byte weight loads and MR dword
 * broadcasts of A feed 2 * MR VPDPBUSD (uint8 activations x int8 weights, 64 MACs each,
 * no intermediate saturation). Weights are w - o for a per-column offset o that makes
 * them fit int8 (o = zw when it can), with (o - zw) * rowsum(x) added once per tile (kzp)
 * in the blocks that have such a column; both are exact.
 */
#pragma once

#include <immintrin.h>
#include <string.h>

#include "kernel-table.h"
#include "requantize.h"

static inline __m512i edge_broadcast4(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

static inline __attribute__((always_inline)) void output_rows(const bool CLAMP, const size_t MR, __m512i acc[16][2],
                                                              const float *scale, uint8_t *const *cr, __mmask32 store,
                                                              __m512 hi, __m512i zo, __m512i vmin, __m512i vmax) {
#pragma GCC unroll 16
  for (size_t r = 0; r < MR; r += 2) {
    const size_t r1 = r + 1 < MR ? r + 1 : r;
    __m512i out = edge_output4_avx512(
        edge_fp32_avx512(CLAMP, acc[r][0], scale, hi), edge_fp32_avx512(CLAMP, acc[r][1], scale + 16, hi),
        edge_fp32_avx512(CLAMP, acc[r1][0], scale, hi), edge_fp32_avx512(CLAMP, acc[r1][1], scale + 16, hi), zo,
        vmin, vmax);
    /* Row r1 first: when it repeats row r, both write the same bytes. */
    _mm256_mask_storeu_epi8(cr[r1], store, _mm512_extracti64x4_epi64(out, 1));
    _mm256_mask_storeu_epi8(cr[r], store, _mm512_castsi512_si256(out));
  }
}

/* Columns 0-15 only (HALF): 4 rows per output vector, 16 bytes each. */
static inline __attribute__((always_inline)) void output_rows16(const bool CLAMP, const size_t MR, __m512i acc[16][2],
                                                                const float *scale, uint8_t *const *cr,
                                                                __mmask16 store, __m512 hi, __m512i zo, __m512i vmin,
                                                                __m512i vmax) {
#pragma GCC unroll 4
  for (size_t r = 0; r < MR; r += 4) {
    size_t rows[4];
    for (size_t i = 0; i < 4; i++) rows[i] = r + i < MR ? r + i : MR - 1;
    const __m512i out = edge_output4_avx512(
        edge_fp32_avx512(CLAMP, acc[rows[0]][0], scale, hi), edge_fp32_avx512(CLAMP, acc[rows[1]][0], scale, hi),
        edge_fp32_avx512(CLAMP, acc[rows[2]][0], scale, hi), edge_fp32_avx512(CLAMP, acc[rows[3]][0], scale, hi), zo,
        vmin, vmax);
    /* Repeated rows are stored first, so the real one wins. */
    _mm_mask_storeu_epi8(cr[rows[3]], store, _mm512_extracti32x4_epi32(out, 3));
    _mm_mask_storeu_epi8(cr[rows[2]], store, _mm512_extracti32x4_epi32(out, 2));
    _mm_mask_storeu_epi8(cr[rows[1]], store, _mm512_extracti32x4_epi32(out, 1));
    _mm_mask_storeu_epi8(cr[rows[0]], store, _mm512_castsi512_si128(out));
  }
}

/* HALF: at most 16 columns, so the second 16 are neither computed nor stored. */
static inline __attribute__((always_inline)) void edge_gemm_x32c4_avx512vnni(
    const size_t MR, const bool HALF, size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride,
    const int32_t *rowsum, const void *w, uint8_t *c, size_t c_stride, const struct edge_output_params *o) {
  const uint8_t *ar[16];
  uint8_t *cr[16];
  ar[0] = a;
  cr[0] = c;
  for (size_t r = 1; r < MR; r++) {
    /* Missing rows repeat the last one; their stores rewrite the same bytes. */
    ar[r] = r < mr ? ar[r - 1] + a_stride : ar[r - 1];
    cr[r] = r < mr ? cr[r - 1] + c_stride : cr[r - 1];
  }
  const int32_t *bias = w;
  const int32_t *kzp = bias + 32;
  const float *scale = (const float *)(bias + 2 * 32);
  const uint8_t *wk = (const uint8_t *)(scale + 32);

  __m512i acc[16][2];
  const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
#pragma GCC unroll 16
  for (size_t r = 0; r < MR; r++) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  for (size_t k = 0; k < kc; k += 4) {
    const __m512i w0 = _mm512_loadu_si512(wk);
    const __m512i w1 = HALF ? w0 : _mm512_loadu_si512(wk + 64);
    wk += 128;
#pragma GCC unroll 16
    for (size_t r = 0; r < MR; r++) {
      const __m512i x = edge_broadcast4(ar[r] + k);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, w0);
      if (!HALF) acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, w1);
    }
  }

  if (rowsum != NULL) {
    const __m512i z0 = _mm512_loadu_si512(kzp), z1 = _mm512_loadu_si512(kzp + 16);
#pragma GCC unroll 16
    for (size_t r = 0; r < MR; r++) {
      const __m512i s = _mm512_set1_epi32(rowsum[r < mr ? r : mr - 1]);
      acc[r][0] = _mm512_add_epi32(acc[r][0], _mm512_mullo_epi32(s, z0));
      if (!HALF) acc[r][1] = _mm512_add_epi32(acc[r][1], _mm512_mullo_epi32(s, z1));
    }
  }

  const __m512i zo = _mm512_set1_epi16((int16_t)o->zero_point);
  const __m512i vmin = _mm512_set1_epi8((char)o->min), vmax = _mm512_set1_epi8((char)o->max);
  const __m512 hi = _mm512_set1_ps(o->max_less_zero_point);
  const __mmask32 store = nc >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nc) - 1);
  if (HALF && o->clamp_in_float) output_rows16(true, MR, acc, scale, cr, (__mmask16)store, hi, zo, vmin, vmax);
  else if (HALF) output_rows16(false, MR, acc, scale, cr, (__mmask16)store, hi, zo, vmin, vmax);
  else if (o->clamp_in_float) output_rows(true, MR, acc, scale, cr, store, hi, zo, vmin, vmax);
  else output_rows(false, MR, acc, scale, cr, store, hi, zo, vmin, vmax);
}
